"""OPTIONAL, for the grading server only: let JupyterLab show the formgrader in a tab again.

JupyterHub >= 4.1 sends `Content-Security-Policy: frame-ancestors 'none'` from every single-user
server, so the formgrader, which JupyterLab shows in an iframe, stays blank (nbgrader #1870,
#1910, #1919). The safe way round it is to open the formgrader in its own browser tab
(docs/jupyterhub.md). This file is the other way: it allows frames from the same origin for
the grading server. JupyterHub's security notes call `frame-ancestors 'self'` insecure on a hub
without subdomains (a page on the hub's origin could frame the grading server), so use it only
if the graders accept that, and never for students' servers.

To use it, rename it to jupyter_server_config.py in this folder (the grading service's
JUPYTER_CONFIG_PATH, see ../jupyterhub_config.py).
"""

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.ServerApp.tornado_settings = {"headers": {"Content-Security-Policy": "frame-ancestors 'self'"}}
