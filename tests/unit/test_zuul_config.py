""".zuul.yaml names things that live elsewhere: tox environments, parent jobs from
openstack-zuul-jobs, the repositories Zuul checks out. Zuul's own parser (tox -e
zuul-config) checks each stanza's syntax but none of those names; these tests do."""

import configparser
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
STANZAS = yaml.safe_load((ROOT / ".zuul.yaml").read_text())
JOBS = {s["job"]["name"]: s["job"] for s in STANZAS if "job" in s}
(PROJECT,) = [s["project"] for s in STANZAS if "project" in s]
# The parents used here and the tox environment each runs, as openstack/openstack-zuul-jobs
# defines them (zuul.d/jobs.yaml at b8ff5c89, June 2026).
UPSTREAM = {"openstack-tox": None, "openstack-tox-pep8": "pep8",
            "openstack-tox-py312": "py312", "openstack-tox-functional": "functional"}


def tox_envs():
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    return {s.removeprefix("testenv:") for s in tox.sections() if s.startswith("testenv:")}


def job_var(name, var):
    """A job's variable, as inherited from its parents in this file or upstream."""
    while name in JOBS:
        if var in JOBS[name].get("vars", {}):
            return JOBS[name]["vars"][var]
        name = JOBS[name].get("parent")
    return UPSTREAM.get(name) if var == "tox_envlist" else None


def attribute(name, key):
    while name in JOBS:
        if key in JOBS[name]:
            return JOBS[name][key]
        name = JOBS[name].get("parent")
    return None


def pipeline_jobs():
    return {j if isinstance(j, str) else next(iter(j))
            for pipeline in ("check", "gate") for j in PROJECT[pipeline]["jobs"]}


def test_every_parent_is_defined_here_or_upstream():
    for job in JOBS.values():
        assert job["parent"] in JOBS or job["parent"] in UPSTREAM, job["name"]


def test_the_project_runs_jobs_that_exist_in_check_and_gate_alike():
    assert pipeline_jobs() <= JOBS.keys() | UPSTREAM.keys()
    assert PROJECT["check"] == PROJECT["gate"]


@pytest.mark.parametrize("job", sorted(JOBS.keys() | (pipeline_jobs() & UPSTREAM.keys())))
def test_every_job_runs_a_tox_environment_of_this_repository(job):
    envlist = job_var(job, "tox_envlist")
    # tox makes pyXY environments from [testenv].
    assert envlist in tox_envs() or re.fullmatch(r"py3\d+", envlist), (job, envlist)


@pytest.mark.parametrize("job", sorted(j for j in JOBS if job_var(j, "zuul_work_dir")))
def test_a_job_run_from_this_checkout_has_it_among_its_projects(job):
    """On a Nova change, Zuul checks out only the required projects."""
    work_dir = job_var(job, "zuul_work_dir")
    projects = attribute(job, "required-projects")
    assert work_dir.startswith("src/opendev.org/")
    assert work_dir.removeprefix("src/opendev.org/") in projects
    assert {"openstack/nova", "openstack/placement"} <= set(projects)


def test_the_job_for_nova_changes_runs_the_scenarios_with_stestr():
    job = JOBS["nova-scheduler-harness-nova"]
    assert job_var(job["name"], "tox_envlist") == "functional-nova-stestr"
    assert job["files"] and "nova-scheduler-harness-nova" not in pipeline_jobs()
    # Anchored at Nova's package (tests/nova checks each names a file of it).
    assert all(p.startswith("^nova/") and p.endswith("$") for p in job["files"])
