"""Collecting submissions from an LMS download (a zip file) with nbgrader's ``zip_collect``.

``python -m grader collect ASSIGNMENT submissions.zip`` copies the zip to
``grader/course/downloaded/<assignment>/archive/``, lets nbgrader's ``ZipCollectApp`` extract
it and its ``FileNameCollectorPlugin`` map each file name to a student id with
:data:`DEFAULT_REGEX` (or ``--regex``), and the files land in
``grader/course/submitted/<student>/<assignment>/``, with ``timestamp.txt`` when the file
name carries a time.
"""

#: File names ``<student>_<timestamp>_<notebook>.ipynb`` anywhere in the zip, for example
#: ``ada_2025-03-01-23-59-00_00_backprop_refresher.ipynb`` (the timestamp is optional and is
#: read as UTC). The regular expression is matched against the whole extracted path.
DEFAULT_REGEX = (
    r".*/(?P<student_id>[A-Za-z0-9.-]+)_"
    r"(?:(?P<timestamp>\d{4}-\d\d-\d\d[-T ]\d\d[-:]\d\d[-:]\d\d)_)?"
    r"(?P<file_id>[^/]+)$"
)
