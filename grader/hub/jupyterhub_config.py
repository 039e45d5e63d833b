"""JupyterHub settings for a class of the Vanishing Gradients course on one machine.

The Littlest JupyterHub (TLJH): copy to /opt/tljh/config/jupyterhub_config.d/vanishing_gradients.py
and run `sudo tljh-config reload hub` (users, limits and HTTPS: see tljh-config.yaml).
Any other single-host hub: append to your jupyterhub_config.py.

Edit GRADERS below. The graders share one notebook server, run as a JupyterHub service by the
unix account `grader-vanishing-gradients`, in its clone of the course (docs/jupyterhub.md says
how to set it up); it holds the course directory and the gradebook, so one or several graders
use the formgrader there, at https://<hub>/services/vanishing-gradients/, and nowhere else.
"""

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

COURSE_ID = "vanishing-gradients"  # the same as CourseDirectory.course_id in nbgrader_config.py
GRADERS = ["instructor1"]  # hub user names of the instructors and teaching assistants
SERVICE_PORT = 9999  # any free local port
CLONE = f"/home/grader-{COURSE_ID}/{COURSE_ID}"  # the grading account's clone of the course

# --- every user's server: JupyterLab, Binder-like limits -----------------------------------------
c.Spawner.default_url = "/lab"
c.Spawner.mem_limit = "2G"  # enforced by TLJH's systemd spawner (LocalProcessSpawner ignores it)
c.Spawner.cpu_limit = 1.0
# A student's server ignores ~/.jupyter: nobody re-enables the instructor extensions that the
# environment disables (docs/jupyterhub.md), nor loosens their server's security headers. The
# grading service below is not a spawned server: its account's own config still applies.
c.Spawner.disable_user_config = True

# --- the shared grading server --------------------------------------------------------------------
if GRADERS:
    # nbgrader's course list finds the course through this group's name: it must start with
    # "formgrade-" and end with the course id.
    c.JupyterHub.load_groups = {f"formgrade-{COURSE_ID}": {"users": GRADERS}}
    c.JupyterHub.load_roles = [
        {
            "name": f"formgrade-{COURSE_ID}",
            "groups": [f"formgrade-{COURSE_ID}"],
            "scopes": [
                f"access:services!service={COURSE_ID}",
                "list:services",
                f"read:services!service={COURSE_ID}",
            ],
        },
        {
            # the servers' own tokens may do what their owner may: lets nbgrader's course list
            # (in the graders' servers) discover the grading service
            "name": "server",
            "scopes": ["inherit"],
        },
    ]
    c.JupyterHub.services = [
        {
            "name": COURSE_ID,  # must be the course id
            "url": f"http://127.0.0.1:{SERVICE_PORT}",
            "command": ["jupyterhub-singleuser", "--debug"],
            "user": f"grader-{COURSE_ID}",
            # the course repository, cloned here: its nbgrader_config.py is the course's
            "cwd": CLONE,
            "environment": {
                "JUPYTERHUB_DEFAULT_URL": "/lab",
                # the instructor tools that students' servers hide (grader/hub/grading-server/)
                "JUPYTER_CONFIG_PATH": f"{CLONE}/grader/hub/grading-server",
            },
        }
    ]
