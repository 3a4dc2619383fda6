// Lessons that open ready (issue 12, "Open and learn").
//
// A participant who has never seen Jupyter opens a lesson and sees its activities and
// graded items at once: no "Run All", no code.  A notebook whose metadata says
// `"latsar": {"lesson": true}` (set by `latsar sync`, kept by nbgrader's release) gets:
//
// - its code cells run, in order, as soon as its kernel is there: on open, on reopen,
//   after a kernel restart and after a change of kernel;
// - the class `latsar-lesson`, under which style/index.css hides code inputs and prompts;
// - an accessible name on ipywidgets' slider handles, which ipywidgets leaves unnamed;
// - a widget's own keys (arrows in a drop-down or a radio group) kept from the notebook's shortcuts.
//
// Nothing here touches the file on disk beyond what running cells does in JupyterLab
// (outputs), so stock `nbgrader validate`, `submit` and `autograde` see a notebook as before.
// Instructors' and the grader's servers disable this plugin (their labconfig/page_config.json):
// they edit the same notebooks in source/ and must see the code.

import { INotebookTracker } from '@jupyterlab/notebook';
import { CodeCell } from '@jupyterlab/cells';

const LESSON_CLASS = 'latsar-lesson';
const RUNNING_CLASS = 'latsar-lesson-running';

/** True for a course lesson: notebook metadata `latsar.lesson`. */
function isLesson(panel) {
  const meta = panel.content.model && panel.content.model.getMetadata('latsar');
  return !!(meta && meta.lesson === true);
}

/** Run every code cell of the panel's notebook, one after another; never twice at once. */
async function runLesson(panel, state) {
  if (state.running) {
    state.again = true; // a restart during a run: run once more when this one ends
    return;
  }
  state.running = true;
  panel.addClass(RUNNING_CLASS);
  try {
    do {
      state.again = false;
      const session = panel.sessionContext;
      await session.ready;
      if (!session.session || !session.session.kernel) {
        return; // "No Kernel": nothing to run on
      }
      const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
      // Outputs saved last time show widgets of a kernel that is gone ("model not found"):
      // clear them all first, then fill them again in order.
      for (const cell of cells) {
        cell.model.sharedModel.transact(() => cell.model.outputs.clear());
      }
      for (const cell of cells) {
        if (panel.isDisposed || state.again) {
          break;
        }
        try {
          await CodeCell.execute(cell, session);
        } catch (err) {
          // the kernel died or was restarted mid-run; statusChanged starts a new run
          console.warn('latsar-lesson: a cell did not run', err);
          break;
        }
      }
    } while (state.again && !panel.isDisposed);
  } finally {
    state.running = false;
    if (!panel.isDisposed) {
      panel.removeClass(RUNNING_CLASS);
    }
  }
}

/**
 * Give each ipywidgets slider handle (`role="slider"`) the name of its slider's description.
 * ipywidgets 8 leaves the handle unnamed (jupyter-widgets/ipywidgets#2650), so a screen reader
 * says only "slider"; axe-core counts it as a serious problem (docs/accessibility.md).
 */
function nameSliders(node) {
  const handles = node.querySelectorAll(
    '.widget-slider .noUi-handle[role="slider"]:not([aria-label]):not([aria-labelledby])'
  );
  for (const handle of handles) {
    const label = handle.closest('.widget-slider').querySelector('.widget-label');
    const text = label ? label.textContent.trim() : '';
    if (text) {
      handle.setAttribute('aria-label', text);
    }
  }
}

/** Form controls of widgets in outputs: drop-downs, radio buttons, sliders, buttons, text. */
const CONTROL = '.jp-OutputArea-output :is(select, input, textarea, button, [role="slider"])';
/** Keys that stay JupyterLab's even in a control: move focus, leave, save or run. */
const PASS = new Set(['Tab', 'Escape']);

/**
 * Keep a widget's own keys away from JupyterLab's notebook shortcuts.
 *
 * In command mode JupyterLab binds the arrow keys (next cell), letters (A inserts a cell,
 * M makes it markdown…) and Space to the focused notebook, and a focused <select>, radio
 * button or slider handle counts as such: ArrowDown in a practice drop-down moved to the next
 * cell instead of to the next option.  A key without Ctrl, Alt or Meta pressed in a widget's
 * control goes no further than the lesson (its default action, e.g. choosing the option,
 * still happens); Tab, Escape and shortcuts with a modifier (Ctrl+S) reach JupyterLab.
 */
function keepKeysInWidgets(event) {
  if (event.ctrlKey || event.altKey || event.metaKey || PASS.has(event.key)) {
    return;
  }
  if (event.target instanceof Element && event.target.matches(CONTROL)) {
    event.stopPropagation();
  }
}

/** Watch one opened notebook: mark it and run it whenever it gets a fresh kernel. */
async function follow(panel) {
  await panel.context.ready;
  if (panel.isDisposed || !isLesson(panel)) {
    return;
  }
  panel.addClass(LESSON_CLASS);
  let pending = false; // widgets render after their output: name new sliders once per frame
  const observer = new MutationObserver(() => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        nameSliders(panel.node);
      });
    }
  });
  observer.observe(panel.node, { childList: true, subtree: true });
  panel.disposed.connect(() => observer.disconnect());
  panel.node.addEventListener('keydown', keepKeysInWidgets); // bubbling: the control had it first
  const state = { running: false, again: false, restarting: false };
  const session = panel.sessionContext;
  session.statusChanged.connect((_, status) => {
    if (status === 'restarting' || status === 'autorestarting') {
      state.restarting = true;
    } else if (status === 'idle' && state.restarting) {
      state.restarting = false;
      void runLesson(panel, state);
    }
  });
  session.kernelChanged.connect((_, change) => {
    // a new kernel (chosen, or started after a shutdown); the first one is run below
    if (change.oldValue && change.newValue) {
      void runLesson(panel, state);
    }
  });
  await runLesson(panel, state);
}

const plugin = {
  id: '@latsar/lesson:plugin',
  description: 'Runs a course lesson\'s cells when it opens and hides its code.',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app, tracker) => {
    tracker.widgetAdded.connect((_, panel) => {
      void follow(panel);
    });
  }
};

export default plugin;
