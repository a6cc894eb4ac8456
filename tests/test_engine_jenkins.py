"""The Jenkins engine: the Jenkinsfile (golden, compiled by the real Groovy parser, read back
and compared with the engine graph, hostile values arriving as exact data) and the
`mo jenkins sync|trigger` client against a stateful fake Jenkins on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelops_git.engines.graph import EngineGraph, EngineTask, engine_graph, run_task_argv
from modelops_git.engines.jenkins import RUN_ID_EXPRESSION, render_jenkinsfile, run_task_script
from modelops_git.engines.jenkins_client import JenkinsClient
from modelops_git.spec.project import load_project
from tests.conftest import Result, git
from tests.engine_fixtures import HOSTILE_STRINGS, ParsedTask, expected_tasks, write_engine_project
from tests.fake_jenkins import FakeJenkins, FakeJob, fake_jenkins
from tests.golden import assert_golden
from tests.groovy_parser import GroovyParser, GroovySyntaxError, groovy_env
from tests.jenkinsfile_reader import ReadPipeline, read_jenkinsfile, stage_command

RUN_ID_GSTRING = RUN_ID_EXPRESSION.strip('"').replace("${", "$").replace("}", "")
USER, TOKEN = "ada", "s3cret-api-token"
Mo = Callable[..., Result]


@pytest.fixture(scope="module")
def groovy() -> Iterator[GroovyParser]:
    env = groovy_env()
    if env is None:
        message = "groovy (and java) not installed: scripts/test.sh installs Debian's groovy"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    parser = GroovyParser(env)
    yield parser
    parser.close()


def _graph(root: Path, env: str | None, hostile: str = HOSTILE_STRINGS[0]) -> EngineGraph:
    return engine_graph(load_project(write_engine_project(root, hostile)), "train", env)


def _read(groovy: GroovyParser, text: str) -> ReadPipeline:
    return read_jenkinsfile(groovy.ast(text))


def _parsed_tasks(pipeline: ReadPipeline, graph: EngineGraph) -> dict[str, ParsedTask]:
    """What the file says about each task. A Declarative file orders stages and keeps no
    edges, so `needs` is checked apart (_assert_order) and left empty here."""
    tail = ["--run-id", f"<{RUN_ID_GSTRING}>", "--single-attempt"]
    parsed = {}
    for stage in pipeline.stages:
        argv = stage_command(pipeline, stage)
        assert argv[-3:] == tail, f"{stage.name}: every command joins the run, one attempt"
        timeout = stage.options.get("timeout")
        if timeout is not None:
            assert timeout["unit"] == "SECONDS"
        parsed[stage.name] = ParsedTask(
            needs=frozenset(),
            retries=stage.options.get("retry", 1) - 1,
            timeout_seconds=None if timeout is None else float(timeout["time"]),
            argv=tuple(argv[:-3]),
        )
    return parsed


def _assert_order(pipeline: ReadPipeline, graph: EngineGraph) -> None:
    """Every need runs in an earlier stage, and no task waits a stage longer than it must."""
    layer = {stage.name: stage.layer for stage in pipeline.stages}
    first = min(layer.values())
    for task in graph.tasks:
        assert all(layer[need] < layer[task.name] for need in task.needs), task.name
        earliest = max((layer[need] + 1 for need in task.needs), default=first)
        assert layer[task.name] == earliest, f"{task.name} waits longer than its needs ask"


def _assert_matches_graph(pipeline: ReadPipeline, graph: EngineGraph) -> None:
    expected = expected_tasks(graph)
    assert _parsed_tasks(pipeline, graph) == {
        name: replace(task, needs=frozenset()) for name, task in expected.items()
    }
    _assert_order(pipeline, graph)
    assert [stage.name for stage in pipeline.stages] == sorted(
        (task.name for task in graph.tasks),
        key=lambda name: (next(s.layer for s in pipeline.stages if s.name == name), name),
    )
    by_name = {task.name: task for task in graph.tasks}
    for stage in pipeline.stages:
        task = by_name[stage.name]
        assert stage.environment == {"MO_TASK": task.name, **task.plain_env}
        assert stage.credentials == task.secrets
        assert stage.branches == list(task.branches)
        if "retry" in stage.options and "timeout" in stage.options:
            assert stage.options["order"] == ["retry", "timeout"], "the timeout is per attempt"
        assert stage.scripts == [run_task_script(graph.env is not None)]
    assert pipeline.agent == "any"
    assert pipeline.environment == {
        "MO_PIPELINE": graph.pipeline,
        **({"MO_ENV": graph.env} if graph.env else {}),
        "MO_RUN_ID": {"gstring": RUN_ID_GSTRING},
    }
    assert pipeline.gstrings == [RUN_ID_GSTRING], "the run id is the only Groovy interpolation"


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_jenkinsfile_matches_golden(git_dir: Path, env: str) -> None:
    assert_golden(
        f"engines/jenkins/train-{env}.Jenkinsfile", render_jenkinsfile(_graph(git_dir, env))
    )


@pytest.mark.parametrize("env", ["dev", "prod", None])
def test_jenkinsfile_parses_with_groovy_back_to_the_graph(
    git_dir: Path, groovy: GroovyParser, env: str | None
) -> None:
    graph = _graph(git_dir, env)
    pipeline = _read(groovy, render_jenkinsfile(graph))
    _assert_matches_graph(pipeline, graph)
    layers = sorted({stage.layer for stage in pipeline.stages if stage.name.startswith("train-")})
    assert len(layers) == 1, "independent tasks of one layer run in parallel"


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_values_arrive_as_exact_data(
    git_dir: Path, groovy: GroovyParser, hostile: str
) -> None:
    graph = _graph(git_dir, "dev", hostile)
    text = render_jenkinsfile(graph)
    pipeline = _read(groovy, text)
    _assert_matches_graph(pipeline, graph)
    prepare = next(stage for stage in pipeline.stages if stage.name == "prepare")
    assert prepare.environment["GREETING"] == hostile
    assert all(hostile not in script for stage in pipeline.stages for script in stage.scripts)


def test_checkout_stage_reads_the_job_parameters(git_dir: Path, groovy: GroovyParser) -> None:
    graph = _graph(git_dir, "dev")
    pipeline = _read(groovy, render_jenkinsfile(graph, checkout_from_parameters=True))
    checkout, *tasks = pipeline.stages
    assert checkout.name == "mo: checkout" and checkout.layer == 0
    assert checkout.checkout == {
        "url": {"property": "MO_GIT_URL", "object": {"var": "params"}},
        "branch": {"property": "BRANCH_NAME", "object": {"var": "params"}},
    }
    _assert_matches_graph(replace(pipeline, stages=tasks), graph)


def test_the_checks_catch_broken_or_interpolating_output(
    git_dir: Path, groovy: GroovyParser
) -> None:
    text = render_jenkinsfile(_graph(git_dir, "dev"))
    with pytest.raises(GroovySyntaxError):
        groovy.ast(text.replace("MO_TASK = 'prepare'", "MO_TASK = 'it's'"))
    interpolating = text.replace("GREETING = 'it\\'s \"quoted\"'", 'GREETING = "${env.PWNED}"', 1)
    assert interpolating != text
    read = _read(groovy, interpolating)
    assert read.gstrings == [RUN_ID_GSTRING, "$env.PWNED"]
    with pytest.raises(AssertionError):
        _assert_matches_graph(read, _graph(git_dir, "dev"))


def test_unsafe_environment_variable_names_are_refused() -> None:
    task = EngineTask(
        "t", (), run_task_argv("p", "t", None), 0, 0.0, (), None, (), plain_env={"A B": "x"}
    )
    with pytest.raises(ValueError, match="not allowed"):
        render_jenkinsfile(EngineGraph("p", None, (task,)))


_FRAGMENTS = st.sampled_from(
    ["${", "}", "'", '"', "\\", "\\u0027", "\\'", "\n", "\r", "$(", "`", "${{", "'''", "\t", "\x00"]
)
_HOSTILE_TEXT = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
    st.lists(st.one_of(_FRAGMENTS, st.text(max_size=4)), max_size=8).map("".join),
)
_VARIABLES = st.from_regex(r"[A-Z_][A-Z0-9_]{0,6}", fullmatch=True).filter(
    lambda name: not name.startswith("MO_")
)


@st.composite
def _hostile_graphs(draw: st.DrawFn) -> EngineGraph:
    pipeline, env = draw(_HOSTILE_TEXT), draw(st.one_of(st.none(), _HOSTILE_TEXT))
    tasks: list[EngineTask] = []
    for index in range(draw(st.integers(1, 4))):
        name = f"t{index}-{draw(_HOSTILE_TEXT)}"
        needs = tuple(draw(st.sets(st.sampled_from([t.name for t in tasks])))) if tasks else ()
        tasks.append(
            EngineTask(
                name=name,
                needs=needs,
                argv=run_task_argv(pipeline, name, env),
                retries=draw(st.integers(0, 3)),
                backoff_seconds=0.0,
                retry_on=(),
                timeout_seconds=draw(st.one_of(st.none(), st.integers(1, 10_000).map(float))),
                branches=tuple(draw(st.lists(_HOSTILE_TEXT, max_size=2))),
                secrets=draw(st.dictionaries(_VARIABLES, _HOSTILE_TEXT, max_size=2)),
                plain_env=draw(st.dictionaries(_VARIABLES, _HOSTILE_TEXT, max_size=2)),
            )
        )
    return EngineGraph(pipeline, env or None, tuple(tasks))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=_hostile_graphs())
def test_any_string_anywhere_arrives_as_exact_data(
    graph: EngineGraph, groovy: GroovyParser
) -> None:
    graph = replace(
        graph,
        tasks=tuple(
            replace(
                task, secrets={k: v for k, v in task.secrets.items() if k not in task.plain_env}
            )
            for task in graph.tasks
        ),
    )
    text = render_jenkinsfile(graph)
    assert text.isascii(), "non-ASCII is escaped, so the file reads the same in any encoding"
    _assert_matches_graph(_read(groovy, text), graph)


def test_mo_ci_jenkins_writes_the_jenkinsfile(git_dir: Path, mo: Mo) -> None:
    graph = _graph(git_dir, "dev")
    result = mo("ci", "jenkins", "--env", "dev", "--json")
    assert result.code == 0, result.err
    assert (git_dir / "Jenkinsfile").read_text() == render_jenkinsfile(graph)
    assert '"stages"' in result.out and '"train-a"' in result.out
    result = mo(
        "ci", "jenkins", "--pipeline", "train", "--output", "ci/Jenkinsfile.prod", "-e", "prod"
    )
    assert result.code == 0 and "prepare -> train-a | train-b -> evaluate -> deploy" in result.out
    assert "deploy" in (git_dir / "ci" / "Jenkinsfile.prod").read_text()
    assert mo("ci", "jenkins", "--pipeline", "nope").code == 1


# --- mo jenkins sync / trigger against the fake Jenkins ------------------------------------


@pytest.fixture
def jenkins_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeJenkins]:
    monkeypatch.setenv("JENKINS_TOKEN", TOKEN)
    with fake_jenkins({USER: TOKEN}) as server:
        yield server


def _jenkins(mo: Mo, server: FakeJenkins, *args: str) -> Result:
    result = mo("jenkins", *args, "--url", server.url, "--user", USER)
    assert TOKEN not in result.out + result.err, "the token is never printed"
    return result


def _sync(mo: Mo, server: FakeJenkins, env: str) -> Result:
    return _jenkins(
        mo, server, "sync", "--job", "train", "--env", env,
        "--git-url", "https://git.example.com/ml.git", "--branch", "main",
    )  # fmt: skip


def _job_script(server: FakeJenkins, job: str) -> ET.Element:
    return ET.fromstring(server.state.jobs[job].config_xml.encode("utf-8"))


def test_sync_creates_then_updates_the_job(
    git_dir: Path, mo: Mo, jenkins_server: FakeJenkins, groovy: GroovyParser
) -> None:
    graph = _graph(git_dir, "dev")
    created = _sync(mo, jenkins_server, "dev")
    assert created.code == 0, created.err
    assert "created job train" in created.out
    config = _job_script(jenkins_server, "train")
    assert config.tag == "flow-definition"
    definition = config.find("definition")
    assert definition is not None
    assert definition.get("class") == "org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition"
    assert definition.findtext("sandbox") == "true"
    script = definition.findtext("script") or ""
    assert script == render_jenkinsfile(graph, checkout_from_parameters=True)
    _, *tasks = _read(groovy, script).stages
    assert {stage.name for stage in tasks} == {task.name for task in graph.tasks}
    assert jenkins_server.state.jobs["train"].parameters() == {
        "MO_GIT_URL": "https://git.example.com/ml.git",
        "BRANCH_NAME": "main",
    }

    updated = _sync(mo, jenkins_server, "prod")
    assert updated.code == 0, updated.err
    assert "updated job train" in updated.out
    new_script = _job_script(jenkins_server, "train").findtext("definition/script") or ""
    assert new_script == render_jenkinsfile(_graph(git_dir, "prod"), checkout_from_parameters=True)
    posts = [
        (path, status) for method, path, status in jenkins_server.state.requests if method == "POST"
    ]
    assert posts == [("/createItem", 200), ("/job/train/config.xml", 200)]


def test_sync_reads_hostile_values_back_from_config_xml(
    git_dir: Path, mo: Mo, jenkins_server: FakeJenkins, groovy: GroovyParser
) -> None:
    hostile = "</script><sandbox>false</sandbox> & ${env.PWNED} 'x'"
    graph = _graph(git_dir, "dev", hostile)
    assert _sync(mo, jenkins_server, "dev").code == 0
    config = _job_script(jenkins_server, "train")
    assert config.findtext("definition/sandbox") == "true"
    _, *tasks = _read(groovy, config.findtext("definition/script") or "").stages
    prepare = next(stage for stage in tasks if stage.name == "prepare")
    assert prepare.environment["GREETING"] == hostile
    assert graph.tasks[0].plain_env["GREETING"] == hostile


def test_sync_defaults_to_origin_and_the_current_branch(
    git_dir: Path, mo: Mo, jenkins_server: FakeJenkins
) -> None:
    write_engine_project(git_dir)
    result = _jenkins(mo, jenkins_server, "sync", "--job", "train")
    assert result.code == 2 and "--git-url" in result.err
    assert not jenkins_server.state.jobs
    git(git_dir, "remote", "add", "origin", "git@git.example.com:ml/train.git")
    git(git_dir, "checkout", "-q", "-b", "release/2")
    result = _jenkins(mo, jenkins_server, "sync", "--job", "train", "--json")
    assert result.code == 0, result.err
    assert jenkins_server.state.jobs["train"].parameters() == {
        "MO_GIT_URL": "git@git.example.com:ml/train.git",
        "BRANCH_NAME": "release/2",
    }


@pytest.fixture
def synced(git_dir: Path, mo: Mo, jenkins_server: FakeJenkins) -> FakeJenkins:
    write_engine_project(git_dir)
    assert _sync(mo, jenkins_server, "dev").code == 0
    return jenkins_server


def test_trigger_follows_queue_to_build_to_result(mo: Mo, synced: FakeJenkins) -> None:
    result = _jenkins(
        mo, synced, "trigger", "--job", "train", "--param", "BRANCH_NAME=release/1", "--json"
    )
    assert result.code == 0, result.err
    assert '"result": "SUCCESS"' in result.out and '"build": 1' in result.out
    assert synced.state.builds_queued("train") == 1
    build = synced.state.jobs["train"].builds[1]
    assert build.parameters == {
        "MO_GIT_URL": "https://git.example.com/ml.git",
        "BRANCH_NAME": "release/1",
    }
    assert build.polls >= 2, "followed the build while it was running"


def test_a_job_without_parameters_is_started_through_build(mo: Mo, synced: FakeJenkins) -> None:
    synced.state.jobs["folder/plain"] = FakeJob("<flow-definition plugin='workflow-job'/>")
    synced.state.requests.clear()
    result = _jenkins(mo, synced, "trigger", "--job", "folder/plain")
    assert result.code == 0, result.err
    assert "build #1 of folder/plain: SUCCESS" in result.out
    posts = [(path, status) for method, path, status in synced.state.requests if method == "POST"]
    assert posts == [("/job/folder/job/plain/build", 201)]


def test_a_stale_crumb_is_refetched_once_and_one_build_is_queued(
    mo: Mo, synced: FakeJenkins
) -> None:
    synced.state.expire_crumbs_on_next_post = True
    synced.state.requests.clear()
    result = _jenkins(mo, synced, "trigger", "--job", "train")
    assert result.code == 0, result.err
    assert synced.state.builds_queued("train") == 1
    posts = [(path, status) for method, path, status in synced.state.requests if method == "POST"]
    assert posts == [
        ("/job/train/buildWithParameters", 403),
        ("/job/train/buildWithParameters", 201),
    ]
    assert ("GET", "/crumbIssuer/api/json", 200) in synced.state.requests


def test_a_user_without_build_permission_gets_a_clear_error_and_no_build(
    mo: Mo, synced: FakeJenkins
) -> None:
    synced.state.cannot_build.add(USER)
    synced.state.requests.clear()
    result = _jenkins(mo, synced, "trigger", "--job", "train")
    assert result.code == 1
    assert "refused user 'ada' (403)" in result.err
    assert synced.state.builds_queued("train") == 0
    posts = [status for method, _, status in synced.state.requests if method == "POST"]
    assert posts == [403, 403], "the refused POST is sent again once, never more"


def test_a_failing_build_exits_1(mo: Mo, synced: FakeJenkins) -> None:
    synced.state.results["train"] = "FAILURE"
    result = _jenkins(mo, synced, "trigger", "--job", "train")
    assert result.code == 1
    assert "build #1 of train: FAILURE" in result.out


def test_a_build_still_running_at_the_timeout_is_a_clear_error(mo: Mo, synced: FakeJenkins) -> None:
    synced.state.results["train"] = "RUNNING"
    result = _jenkins(mo, synced, "trigger", "--job", "train", "--timeout", "1")
    assert result.code == 1
    assert "build #1 of 'train' was still running after 1s" in result.err
    assert synced.state.builds_queued("train") == 1


def test_a_build_stuck_in_the_queue_is_a_clear_error(mo: Mo, synced: FakeJenkins) -> None:
    synced.state.stuck_in_queue = True
    result = _jenkins(mo, synced, "trigger", "--job", "train", "--timeout", "1")
    assert result.code == 1
    assert (
        "still queued after 1s" in result.err
        and "Waiting for next available executor" in result.err
    )


def test_bad_credentials_are_a_clear_error(
    mo: Mo, synced: FakeJenkins, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JENKINS_TOKEN", "wrong-token")
    for command in (
        ["trigger", "--job", "train"],
        ["sync", "--job", "x", "--git-url", "u", "--branch", "b"],
    ):
        result = _jenkins(mo, synced, *command)
        assert result.code == 1
        assert "rejected the credentials of user 'ada' (401)" in result.err
        assert "wrong-token" not in result.out + result.err
    assert synced.state.builds_queued("train") == 0


def test_a_missing_job_is_a_clear_error(mo: Mo, synced: FakeJenkins) -> None:
    result = _jenkins(mo, synced, "trigger", "--job", "nope")
    assert result.code == 1
    assert "Jenkins job 'nope' not found" in result.err and "mo jenkins sync" in result.err


def test_an_unknown_parameter_is_refused_before_anything_is_queued(
    mo: Mo, synced: FakeJenkins
) -> None:
    result = _jenkins(mo, synced, "trigger", "--job", "train", "--param", "NOPE=1")
    assert result.code == 2 and "has no parameter NOPE" in result.err
    assert synced.state.builds_queued("train") == 0


def test_an_unreachable_server_is_a_clear_error(
    git_dir: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JENKINS_TOKEN", TOKEN)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    result = mo("jenkins", "trigger", "--url", url, "--job", "train", "--user", USER)
    assert result.code == 1
    assert f"cannot reach Jenkins at {url.rstrip('/')}" in result.err


def test_a_user_without_a_token_is_told_where_to_put_it(
    mo: Mo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JENKINS_TOKEN", raising=False)
    result = mo("jenkins", "trigger", "--url", "http://127.0.0.1:9/", "--job", "j", "--user", "u")
    assert result.code == 2 and "$JENKINS_TOKEN" in result.err


LIVE = all(os.environ.get(name) for name in ("MO_JENKINS_URL", "MO_JENKINS_USER", "JENKINS_TOKEN"))


@pytest.mark.skipif(not LIVE, reason="set MO_JENKINS_URL, MO_JENKINS_USER and JENKINS_TOKEN")
def test_live_jenkins_sync_round_trip(git_dir: Path, mo: Mo) -> None:
    """Against a real Jenkins: create or update a job, then read its config.xml back."""
    url, user = os.environ["MO_JENKINS_URL"], os.environ["MO_JENKINS_USER"]
    job = os.environ.get("MO_JENKINS_JOB", "mo-live-test")
    graph = _graph(git_dir, "dev")
    result = mo(
        "jenkins", "sync", "--url", url, "--job", job, "--user", user, "--env", "dev",
        "--git-url", "https://git.example.com/ml.git", "--branch", "main",
    )  # fmt: skip
    assert result.code == 0, result.err
    client = JenkinsClient(url, user, os.environ["JENKINS_TOKEN"])
    assert client.whoami() == user
    script = ET.fromstring(client.job_config(job).encode("utf-8")).findtext("definition/script")
    assert script == render_jenkinsfile(graph, checkout_from_parameters=True)
