"""nbgrader settings for everyone on a class JupyterHub (students, instructors, graders).

Copy to the Jupyter config path of the environment the single-user servers run in:
  The Littlest JupyterHub:  /opt/tljh/user/etc/jupyter/nbgrader_config.py
  Zero to JupyterHub:       /etc/jupyter/nbgrader_config.py (see values.yaml: singleuser.extraFiles)
  any other hub:            <sys.prefix>/etc/jupyter/nbgrader_config.py or /etc/jupyter/

Students need only the course id and the exchange. The grading rules below repeat those of
grader/nbgrader_config.py (tests/test_hub_configs.py keeps them equal) because a student's
*Validate* button reads this file, not the course's: without them Validate would zero a correct
answer that prints a warning, which autograding forgives. The instructor's own course settings
(where the course directory is, the gradebook) stay in the repository's nbgrader_config.py and
are read when nbgrader runs from the course directory.
"""

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# --- the class ----------------------------------------------------------------------------------
c.CourseDirectory.course_id = "vanishing-gradients"
# Shared by every user's server: world-writable with the sticky bit (mode 1777), on one disk
# (TLJH) or one ReadWriteMany volume mounted at the same path in every pod (Kubernetes).
c.Exchange.root = "/srv/nbgrader/exchange"

# --- the same grading rules as autograding (grader/nbgrader_config.py) ---------------------------
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 60
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = (
    r"(?m)^.*:\d+: \w*Warning: |^\w*Warning: |^findfont: |^Matplotlib is building the font cache"
)
