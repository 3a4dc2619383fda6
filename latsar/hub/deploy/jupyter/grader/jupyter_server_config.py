"""The formgrader service: JupyterLab in the course folder, for instructors only.

JupyterHub >= 4.1 sends ``Content-Security-Policy: frame-ancestors 'none'`` from
every single-user server, and nbgrader's formgrader panel is an iframe, so the
panel stays blank (nbgrader #1870, #1947).  Only this service, which only the
``formgrade-latsar-pelayanan`` group can reach, allows framing by its own
origin; participants' servers keep JupyterHub's default.  The formgrader also
works without the panel, in its own browser tab at
``/services/latsar-pelayanan/formgrader``.
"""

c = get_config()  # noqa: F821

c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": True,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.assignment_list": False,
}
