"""The ready-to-copy hub configuration in grader/hub/ and the JupyterHub guide.

Each file is loaded the way its program loads it (traitlets for Python configs, YAML/JSON
parsers for the rest) and every class and trait name is checked against the installed
nbgrader / jupyter_server / JupyterLab. JupyterHub itself is not a dependency of the course:
its names are checked against a list recorded from JupyterHub 6.1 and, when ``jupyterhub`` is
importable, against JupyterHub itself. The extension switches that hide the instructor tools
from students are checked by asking jupyter_server and JupyterLab what they would load.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
HUB = ROOT / "grader" / "hub"
DOC = ROOT / "docs" / "jupyterhub.md"
LABEXT = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader"
COURSE_ID = "vanishing-gradients"
INSTRUCTOR_PLUGINS = {
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:course-list",
}
INSTRUCTOR_SERVER_EXTENSIONS = {
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
}

# Configurable names used in grader/hub/jupyterhub_config.py, recorded from JupyterHub 6.1.1
# (checked against JupyterHub itself by test_jupyterhub_config_against_jupyterhub).
JUPYTERHUB_TRAITS = {
    "JupyterHub": {"load_groups", "load_roles", "services"},
    "Spawner": {"default_url", "mem_limit", "cpu_limit", "disable_user_config"},
}
# Keys of TLJH's config.yaml (tljh/configurer.py, `default`), with the sub-keys used here.
TLJH_KEYS = {
    "users": {"allowed", "banned", "admin", "extra_user_groups"},
    "limits": {"memory", "cpu"},
    "user_environment": {"default_app"},
    "services": {"cull"},
    "https": {"enabled", "address", "port", "tls", "letsencrypt"},
    "http": {"address", "port"},
    "auth": None,
    "base_url": None,
    "traefik_api": None,
}


def load_py_config(path: Path) -> Config:
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def configurables(*modules: str) -> dict[str, list[type]]:
    for name in modules:
        __import__(name)
    found: dict[str, list[type]] = {}
    for cls in _subclasses(Configurable):
        if cls.__module__.split(".")[0] in {m.split(".")[0] for m in modules}:
            found.setdefault(cls.__name__, []).append(cls)
    return found


def assert_real_traits(cfg: Config, classes: dict[str, list[type]], where: str) -> None:
    """Every section is a class of the package, every key a configurable trait of it, and the
    value is accepted by that trait (the class is instantiated with the section)."""
    assert cfg, f"{where}: empty config"
    for section, values in cfg.items():
        assert section in classes, f"{where}: no configurable class named {section}"
        for key, value in values.items():
            owners = [c for c in classes[section] if key in c.class_traits(config=True)]
            assert owners, f"{where}: {section}.{key} is not a configurable trait of {section}"
            obj = owners[-1](config=Config({section: {key: value}}))
            assert getattr(obj, key) == value, f"{where}: {section}.{key} was not applied"


# --- Python configs ----------------------------------------------------------------------------
def test_every_python_file_compiles():
    files = sorted(HUB.rglob("*.py"))
    assert {p.name for p in files} >= {
        "nbgrader_config.py",
        "jupyterhub_config.py",
        "csp_jupyter_server_config.py",
    }
    for path in files:
        compile(path.read_text(), str(path), "exec")


def test_nbgrader_hub_config_uses_real_nbgrader_traits():
    cfg = load_py_config(HUB / "nbgrader_config.py")
    classes = configurables(
        "nbgrader.apps", "nbgrader.preprocessors", "nbgrader.exchange", "nbgrader.coursedir"
    )
    assert_real_traits(cfg, classes, "grader/hub/nbgrader_config.py")
    assert cfg.CourseDirectory.course_id == COURSE_ID
    assert cfg.Exchange.root == "/srv/nbgrader/exchange"


def test_validate_on_the_hub_uses_the_same_grading_rules_as_autograde():
    """A student's Validate button reads the hub's config, autograding the course's."""
    hub = load_py_config(HUB / "nbgrader_config.py")
    course = load_py_config(ROOT / "grader" / "nbgrader_config.py")
    for section in ("Execute", "LimitOutput", "IgnorePattern"):
        assert dict(hub[section]) == dict(course[section]), section
    assert hub.CourseDirectory.course_id == course.CourseDirectory.course_id


def test_grading_server_csp_config_uses_real_jupyter_server_traits():
    path = HUB / "grading-server" / "csp_jupyter_server_config.py"
    cfg = load_py_config(path)
    assert_real_traits(cfg, configurables("jupyter_server.serverapp"), str(path))
    csp = cfg.ServerApp.tornado_settings["headers"]["Content-Security-Policy"]
    assert csp == "frame-ancestors 'self'"
    # optional: not named so that Jupyter would load it by itself
    assert path.name != "jupyter_server_config.py"


def test_jupyterhub_config_structure():
    cfg = load_py_config(HUB / "jupyterhub_config.py")
    assert {s: set(v) for s, v in cfg.items()} == JUPYTERHUB_TRAITS
    assert cfg.Spawner.default_url == "/lab"
    assert (cfg.Spawner.mem_limit, cfg.Spawner.cpu_limit) == ("2G", 1.0)
    assert cfg.Spawner.disable_user_config is True

    (group,) = cfg.JupyterHub.load_groups
    assert group == f"formgrade-{COURSE_ID}"  # nbgrader's course list relies on this name
    assert cfg.JupyterHub.load_groups[group]["users"]
    for role in cfg.JupyterHub.load_roles:
        assert set(role.get("groups", [])) <= {group}
    (service,) = cfg.JupyterHub.services
    assert service["name"] == COURSE_ID
    assert set(service) >= {"name", "url", "command", "user", "cwd", "environment"}
    assert service["cwd"].endswith(f"/{COURSE_ID}")
    # the service's extra config folder is this repository's grader/hub/grading-server
    config_path = service["environment"]["JUPYTER_CONFIG_PATH"]
    rel = config_path.split(f"/{COURSE_ID}/", 1)[1]
    assert (ROOT / rel).is_dir() and rel == "grader/hub/grading-server"


def test_jupyterhub_config_against_jupyterhub():
    pytest.importorskip("jupyterhub", reason="JupyterHub is not installed (not a course dep)")
    from jupyterhub import scopes
    from jupyterhub.app import JupyterHub
    from jupyterhub.spawner import LocalProcessSpawner, Spawner

    classes = {"JupyterHub": [JupyterHub], "Spawner": [Spawner]}
    for section, names in JUPYTERHUB_TRAITS.items():
        assert names <= set(classes[section][0].class_traits(config=True)), section
    cfg = load_py_config(HUB / "jupyterhub_config.py")
    spawner = LocalProcessSpawner(config=cfg)
    assert spawner.mem_limit == 2 * 1024**3 and spawner.default_url == "/lab"
    hub = JupyterHub(config=cfg)
    for role in hub.load_roles:
        for scope in role["scopes"]:
            assert scope.split("!")[0] in scopes.scope_definitions, scope


# --- YAML ------------------------------------------------------------------------------------
def test_tljh_config_snippet():
    cfg = yaml.safe_load((HUB / "tljh-config.yaml").read_text())
    for key, value in cfg.items():
        assert key in TLJH_KEYS, f"tljh-config.yaml: unknown key {key}"
        if isinstance(value, dict) and TLJH_KEYS[key] is not None:
            assert set(value) <= TLJH_KEYS[key], f"tljh-config.yaml: {key}: {set(value)}"
    assert cfg["user_environment"]["default_app"] == "jupyterlab"
    assert cfg["limits"] == {"memory": "2G", "cpu": 1}
    hub = load_py_config(HUB / "jupyterhub_config.py")
    assert set(cfg["users"]["admin"]) <= set(
        hub.JupyterHub.load_groups[f"formgrade-{COURSE_ID}"]["users"]
    )


def test_z2jh_values():
    values = yaml.safe_load((HUB / "values.yaml").read_text())
    single = values["singleuser"]
    assert single["defaultUrl"] == "/lab"
    assert (single["memory"]["limit"], single["cpu"]["limit"]) == ("2G", 1)

    # the files mounted into every user's pod are the files of this folder, unchanged
    files = single["extraFiles"]
    assert files["nbgrader-config"]["stringData"] == (HUB / "nbgrader_config.py").read_text()
    same = {
        "students-lab": "students/labconfig/page_config.json",
        "students-server": "students/jupyter_server_config.d/zz-vanishing-gradients-students.json",
        "grading-lab": "grading-server/labconfig/page_config.json",
        "grading-server": "grading-server/jupyter_server_config.json",
    }
    for key, rel in same.items():
        assert files[key]["data"] == json.loads((HUB / rel).read_text()), key
        assert files[key]["mountPath"].endswith("/" + rel.split("/", 1)[1]), key

    # students' config folder is the highest-priority one; graders get theirs in front of it
    students_dir = single["extraEnv"]["JUPYTER_CONFIG_PATH"]
    assert files["nbgrader-config"]["mountPath"] == f"{students_dir}/nbgrader_config.py"
    grading_dir = os.path.dirname(files["grading-server"]["mountPath"])
    hook = values["hub"]["extraConfig"]["vanishing-graders"]
    compile(hook, "extraConfig", "exec")
    assert f'"{grading_dir}:{students_dir}"' in hook and "c.KubeSpawner.pre_spawn_hook" in hook

    # the exchange: one shared volume at nbgrader's Exchange.root, world-writable and sticky
    root = load_py_config(HUB / "nbgrader_config.py").Exchange.root
    (mount,) = single["storage"]["extraVolumeMounts"]
    (volume,) = single["storage"]["extraVolumes"]
    assert mount["mountPath"] == root and mount["name"] == volume["name"]
    assert "persistentVolumeClaim" in volume
    (init,) = single["initContainers"]
    assert init["command"][-1] == f"chmod 1777 {root}"
    assert init["volumeMounts"][0]["mountPath"] == root


# --- the extension switches, as jupyter_server and JupyterLab read them ----------------------
PROBE = """
import json
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_page_config
app = ServerApp()
app.find_server_extensions()
disabled = get_page_config([], None)["disabledExtensions"]  # a list, or a dict of flags
if isinstance(disabled, dict):
    disabled = [k for k, v in disabled.items() if v]
print(json.dumps({
    "server": {k: bool(v) for k, v in app.jpserver_extensions.items()},
    "lab_disabled": sorted(disabled),
}))
"""


def _effective(config_path: list[Path], tmp_path: Path) -> dict:
    env = dict(os.environ, JUPYTER_CONFIG_PATH=os.pathsep.join(map(str, config_path)))
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "user-config")  # no personal config
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_students_servers_hide_the_instructor_tools_and_the_grading_server_shows_them(tmp_path):
    # the switches name plugins and modules that exist
    lab_js = "".join(p.read_text(errors="ignore") for p in (LABEXT / "static").glob("*.js"))
    for plugin in INSTRUCTOR_PLUGINS:
        assert f'"{plugin}"' in lab_js, plugin
    for module in INSTRUCTOR_SERVER_EXTENSIONS:
        __import__(module)

    students, grading = HUB / "students", HUB / "grading-server"
    installed = _effective([], tmp_path)  # as nbgrader installs itself: everything on
    assert all(installed["server"].get(m) for m in INSTRUCTOR_SERVER_EXTENSIONS), installed
    assert not INSTRUCTOR_PLUGINS & set(installed["lab_disabled"])

    student = _effective([students], tmp_path)
    assert not any(student["server"][m] for m in INSTRUCTOR_SERVER_EXTENSIONS), student
    assert student["server"]["nbgrader.server_extensions.assignment_list"]
    assert student["server"]["nbgrader.server_extensions.validate_assignment"]
    assert set(student["lab_disabled"]) >= INSTRUCTOR_PLUGINS
    assert "@jupyter/nbgrader:assignment-list" not in student["lab_disabled"]
    assert "@jupyter/nbgrader:validate-assignment" not in student["lab_disabled"]

    grader = _effective([grading, students], tmp_path)
    assert all(grader["server"][m] for m in INSTRUCTOR_SERVER_EXTENSIONS), grader
    assert not INSTRUCTOR_PLUGINS & set(grader["lab_disabled"])


# --- the guide and the nbgitpuller link -----------------------------------------------------------
def test_guide_covers_what_it_must():
    text = DOC.read_text()
    for needle in (
        "#1870",
        "#1910",
        "#1919",
        "frame-ancestors",
        "subdomain_host",
        "The Littlest JupyterHub",
        "Zero to JupyterHub",
        "make nbgitpuller-link",
        "branch=main",
        'c.CourseDirectory.db_url = "postgresql://',
        "jupyter labextension disable --level=sys_prefix @jupyter/nbgrader:formgrader",
        "1777",
    ):
        assert needle in text, f"docs/jupyterhub.md does not mention {needle!r}"
    # every plugin id and every file of this repository that the guide names exists
    for plugin in set(re.findall(r"@jupyter/nbgrader:[a-z-]+", text)):
        assert plugin in INSTRUCTOR_PLUGINS | {
            "@jupyter/nbgrader:assignment-list",
            "@jupyter/nbgrader:validate-assignment",
        }, plugin
    for rel in set(re.findall(r"`((?:grader|docs|tools|notebooks)/[\w./-]+)`", text)):
        assert (ROOT / rel).exists(), f"docs/jupyterhub.md names {rel}, which does not exist"


def test_make_nbgitpuller_link(tmp_path):
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed")
    repo = "https://github.com/example-org/vanishing-gradients.git"
    out = subprocess.run(
        [
            make,
            "--no-print-directory",
            "nbgitpuller-link",
            "HUB=https://hub.example.org/",
            f"REPO={repo}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    url = urlsplit(out.stdout.strip())
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "hub.example.org",
        "/hub/user-redirect/git-pull",
    )
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["repo"] == "https://github.com/example-org/vanishing-gradients"
    assert query["branch"] == "main"  # nbgitpuller's default is master
    prefix = "lab/tree/vanishing-gradients/"
    assert query["urlpath"].startswith(prefix)
    assert (ROOT / query["urlpath"][len(prefix) :]).is_file()
    assert query["urlpath"].endswith("00_backprop_refresher/00_backprop_refresher.ipynb")

    missing = subprocess.run(
        [make, "--no-print-directory", "nbgitpuller-link"], cwd=ROOT, capture_output=True, text=True
    )
    assert missing.returncode != 0 and "usage" in missing.stdout + missing.stderr
