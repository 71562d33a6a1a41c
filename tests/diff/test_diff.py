"""`ssegen diff`: a corpus of spec pairs, a positive and a negative case per rule.

`cases/<rule>/positive` is an edit of one base spec that the rule must
report; `cases/<rule>/negative` a similar edit it must not. Each case's
`expected.txt` is the exact output (`pytest --update-golden` rewrites them);
the exit code is 1 exactly when a line is breaking. Beside the corpus:
`--against` in a temporary git repository, the JSON and GitHub formats,
rule settings, usage errors, and the README's table of rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ssegen.cli import main
from ssegen.diff.rules import RULES

from tests.support.git import git

CASES = Path(__file__).parent / "cases"
ROOT = Path(__file__).resolve().parents[2]
CASE_DIRS = sorted(
    f"{rule.name}/{kind.name}" for rule in CASES.iterdir() for kind in rule.iterdir()
)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", CASE_DIRS)
def test_case(
    case: str,
    update_golden: bool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = CASES / case
    monkeypatch.chdir(folder)
    code, out, err = _run(["diff", "old", "new"], capsys)
    assert err == ""
    expected = folder / "expected.txt"
    if update_golden:
        expected.write_text(out, encoding="utf-8")
    assert out == expected.read_text(encoding="utf-8")
    assert code == (1 if ": breaking: " in out else 0)
    rule, kind = case.split("/")
    reported = f"[{rule}]" in out
    assert reported if kind == "positive" else not reported, out


def test_every_rule_has_both_cases() -> None:
    assert {c.split("/")[0] for c in CASE_DIRS} == {rule.id for rule in RULES}
    assert all(
        (CASES / rule.id / kind).is_dir() for rule in RULES for kind in ("positive", "negative")
    )


def test_every_rule_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.severity} |" in readme, rule.id


def test_against_a_git_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = CASES / "event-removed" / "positive"
    specs = tmp_path / "specs"
    specs.mkdir()
    git(tmp_path, "init", "-q")
    (specs / "feed.yaml").write_bytes((case / "old" / "feed.yaml").read_bytes())
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "one")
    (specs / "feed.yaml").write_bytes((case / "new" / "feed.yaml").read_bytes())
    git(tmp_path, "commit", "-q", "-am", "two")
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["diff", "--against", "HEAD~1"], capsys)
    assert code == 1, err
    # The removed event is positioned in the old spec, at its path in the repository.
    assert out.splitlines()[0].startswith("specs/feed.yaml:52:7: breaking: [event-removed] ")
    assert _run(["diff", "--against", "HEAD"], capsys)[:2] == (0, "")
    assert _run(["diff", "--against", "no-such-ref"], capsys)[0] == 2


def test_json_and_github_formats(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(CASES / "topic-retention-reduced" / "positive")
    code, out, _ = _run(["diff", "old", "new", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out) == [
        {
            "rule": "topic-retention-reduced",
            "severity": "warning",
            "package": "feed",
            "stream": "inbox",
            "event": None,
            "path": "new/feed.yaml",
            "line": 108,
            "column": 7,
            "message": "stream 'inbox': the topic keeps 100 events instead of 1000",
        }
    ]
    code, out, _ = _run(["diff", "old", "new", "--format", "github"], capsys)
    assert out == (
        "::warning file=new/feed.yaml,line=108,col=7,title=ssegen diff [topic-retention-reduced]"
        "::stream 'inbox': the topic keeps 100 events instead of 1000\n"
    )


def test_rules_can_be_raised_lowered_or_ignored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(CASES / "event-added" / "positive")
    raised = _run(["diff", "old", "new", "--rule", "event-added=breaking"], capsys)
    assert raised[0] == 1 and ": breaking: [event-added]" in raised[1]
    monkeypatch.chdir(CASES / "path-changed" / "positive")
    lowered = _run(["diff", "old", "new", "--rule", "path-changed=info"], capsys)
    assert lowered[0] == 0 and ": info: [path-changed]" in lowered[1]
    ignored = _run(["diff", "old", "new", "--rule", "path-changed=off"], capsys)
    assert ignored[:2] == (0, "")
    assert _run(["diff", "old", "new", "--rule", "path-changed=loud"], capsys)[0] == 2
    assert _run(["diff", "old", "new", "--rule", "no-such-rule=info"], capsys)[0] == 2


def test_spec_errors_are_reported_as_build_reports_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old.yaml").write_text("ssegen: 1\ninfo: {title: T, version: '1'}\nstreams: {}\n")
    (tmp_path / "new.yaml").write_text("ssegen: 2\n")
    code, out, err = _run(["diff", str(tmp_path / "old.yaml"), str(tmp_path / "new.yaml")], capsys)
    assert code == 1 and out == ""
    assert all(": error: " in line for line in err.splitlines()[:-1])
    assert _run(["diff", "only-one"], capsys)[0] == 2


def test_a_scripted_edit_of_the_example_specs_is_classified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """specs/ against an edit a pull request could make: every change named by its rule."""
    import shutil

    import yaml

    shutil.copytree(ROOT / "specs", tmp_path / "old")
    shutil.copytree(ROOT / "specs", tmp_path / "new")
    jobs_file = tmp_path / "new" / "jobs.yaml"
    jobs = yaml.safe_load(jobs_file.read_text())
    stream = jobs["streams"]["job_events"]
    del stream["events"]["log"]
    stream["events"]["completed"]["terminal"] = False
    stream["resume"]["ids"] = "handler"
    stream["retry"] = 1000
    jobs_file.write_text(yaml.safe_dump(jobs, sort_keys=False))
    feed_file = tmp_path / "new" / "notifications.yaml"
    feed = yaml.safe_load(feed_file.read_text())
    feed["streams"]["user_notifications"]["topic"]["keep"] = 10
    feed_file.write_text(yaml.safe_dump(feed, sort_keys=False))
    openai_file = tmp_path / "new" / "openai_chat.yaml"
    openai = yaml.safe_load(openai_file.read_text())
    done = openai["streams"]["create_chat_completion"]["events"]["done"]
    done["text"] = {"const": "[END]"}
    done.pop("examples", None)
    openai_file.write_text(yaml.safe_dump(openai, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(["diff", "old", "new"], capsys)
    assert err == ""
    rules = sorted({line.split("[")[1].split("]")[0] for line in out.splitlines()})
    assert code == 1
    assert rules == [
        "const-changed",
        "event-removed",
        "ids-changed",
        "removed-without-deprecation",
        "retry-changed",
        "terminal-changed",
        "topic-retention-reduced",
    ], out
