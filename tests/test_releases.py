"""Releases on a real warehouse: a ministry's correction makes a new release whose history, revisions
and as-of queries show old and new values with their cause; publishing again without a change makes
none; and a suppression the audit does not pass publishes nothing and tells the engineers which rows."""
import duckdb
import pytest

from parity import warehouse
from parity.public import export_public, public_relations
from parity.releases import NotAudited, record_release
from parity.suppression import step

from conftest import HISTORY_RELEASE, PUBLIC_KEY, copy_home, point_at

KEY = PUBLIC_KEY
EARLIER, LATER = HISTORY_RELEASE, HISTORY_RELEASE + 1  # the session's latest release, the correction's


def test_a_correction_is_a_new_release_with_history_revisions_and_as_of(corrected):
    settings, before = corrected
    with duckdb.connect(str(settings.public_warehouse), read_only=True) as con:
        assert con.execute("SELECT release_id FROM releases ORDER BY 1").fetchall() == [(r,) for r in range(1, LATER + 1)]
        reflects = con.execute("SELECT release_id, version FROM release_submissions WHERE country_code = 'MNE' "
                               "AND period = '2024Q2' AND table_name = 'personnel' ORDER BY 1").fetchall()
        assert reflects == [(EARLIER, 1), (LATER, 2)]  # MNE's 2024Q2 came in the history's second load
        # as of the earlier release, the history gives back exactly what it published
        as_of = con.execute(f"""SELECT {KEY}, value, obs_status FROM indicator_values_history
                                WHERE first_release_id <= {EARLIER}
                                  AND coalesce(last_release_id, {EARLIER}) >= {EARLIER}""").fetchall()
        assert sorted(as_of, key=repr) == sorted(before, key=repr)
        now = con.execute(f"SELECT {KEY}, value, obs_status FROM indicator_values_public").fetchall()
        current = con.execute(f"SELECT {KEY}, value, obs_status FROM indicator_values_history "
                              "WHERE last_release_id IS NULL").fetchall()
        assert sorted(now, key=repr) == sorted(current, key=repr) != sorted(before, key=repr)
        revisions = con.execute(f"""SELECT country_code, period, indicator_code, breakdown, old_value, new_value,
                                          old_obs_status, new_obs_status, cause FROM revisions
                                   WHERE release_id = {LATER} AND previous_release_id = {EARLIER}""").df()
    mne = revisions[(revisions.country_code == "MNE") & (revisions.period >= "2024Q2")]
    shown = mne[(mne.old_obs_status == "A") & (mne.new_obs_status == "A")]
    assert len(shown) and (shown.old_value != shown.new_value).all()
    assert mne.cause.str.contains("MNE 2024Q2 personnel v1 -> v2").all()
    # elsewhere only the suppression may have moved (a row withheld or shown again beside MNE's)
    elsewhere = revisions[~revisions.country_code.isin(["MNE", "WB4"]) | (revisions.period < "2024Q2")]
    assert elsewhere.cause.str.startswith("suppression").all()


def test_publishing_again_without_a_change_makes_no_release(corrected):
    settings, _ = corrected
    with warehouse.writing(settings, "test") as con:
        release = record_release(con, settings.clock.now(), settings.disclosure_threshold, settings.protection_width)
    assert (release.release_id, release.new) == (LATER, False)
    export_public(settings, public_relations())
    with duckdb.connect(str(settings.public_warehouse), read_only=True) as con:
        assert con.execute("SELECT max(release_id), count(*) FROM releases").fetchone() == (LATER, LATER)


def test_no_release_without_a_passed_audit(corrected, tmp_path, monkeypatch):
    """What the public twin shows must be what an audit passed: a decision changed by hand (a withheld row
    shown) is refused, and no release is recorded."""
    settings = copy_home(corrected[0].home, point_at(monkeypatch, tmp_path / "home"))
    with warehouse.writing(settings, "test") as con:
        con.execute("""UPDATE meta.suppression SET obs_status = 'A'
                       WHERE rowid = (SELECT min(rowid) FROM meta.suppression WHERE obs_status = 'D')""")
        with pytest.raises(NotAudited):
            record_release(con, settings.clock.now(), settings.disclosure_threshold, settings.protection_width)
        assert con.execute("SELECT max(release_id) FROM meta.releases").fetchone()[0] == LATER


def test_a_failed_audit_publishes_nothing_and_names_the_rows(corrected, tmp_path, monkeypatch):
    """A suppression that withholds too little (here: the primary rows alone) fails the audit: the run
    fails with the rows named, meta.suppression and public.duckdb stay as they were."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.instance import prepare_dagster_home
    from orchestration.resources import parity_run_config
    from parity.load import run_errors
    from parity.suppression import counts
    from parity.suppression.audit import build_system
    from parity.suppression.secondary import Protection, primary

    settings = copy_home(corrected[0].home, point_at(monkeypatch, tmp_path / "home"))
    with warehouse.writing(settings, "test") as con:  # a new quarter's worth of change: the next build decides again
        con.execute("DELETE FROM meta.suppression")
    public_before = settings.public_warehouse.read_bytes()
    def primary_only(values, history, regions, bands, threshold, width, incremental):
        values, history = counts(values).sort_values(step.KEY, ignore_index=True), counts(history)
        statuses = primary(values, threshold)
        system = build_system(values.assign(obs_status=statuses), history, regions, bands, threshold)
        return values[step.KEY].assign(obs_status=statuses), Protection(statuses, system, dict(system.known))

    monkeypatch.setattr(step, "decide", primary_only)
    instance = DagsterInstance.from_config(str(prepare_dagster_home(settings)))
    result = defs.resolve_job_def("transform").execute_in_process(
        instance=instance, run_config=parity_run_config(settings), raise_on_error=False)
    assert not result.success
    errors = run_errors(result)
    assert any("disclosure audit failed" in e for e in errors), errors
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "its numerator can be narrowed" in failure.step_failure_data.error.message \
        or "its denominator - numerator can be narrowed" in failure.step_failure_data.error.message
    assert settings.public_warehouse.read_bytes() == public_before
    with warehouse.connect(settings.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM meta.suppression").fetchone()[0] == 0
        assert con.execute("SELECT passed FROM meta.disclosure_audits ORDER BY audited_at DESC LIMIT 1"
                           ).fetchone()[0] is False
        assert con.execute("SELECT max(release_id) FROM meta.releases").fetchone()[0] == LATER


def test_the_attacker_recovers_nothing_from_public_duckdb_and_both_releases(corrected):
    """The analysts' file alone (every release in its history, the published rank bands and regions)
    against the true counts the restricted warehouse kept for each release."""
    from attacker import attack

    settings, _ = corrected
    columns = f"{KEY}, unit, numerator, denominator, obs_status"
    releases = []
    with duckdb.connect(str(settings.public_warehouse), read_only=True) as public, \
            warehouse.connect(settings.warehouse, read_only=True) as restricted:
        bands = dict(public.execute("SELECT DISTINCT nato_code, rank_band FROM dim_rank").fetchall())
        members = [c for (c,) in public.execute("SELECT country_code FROM dim_country WHERE NOT is_region").fetchall()]
        for release in range(1, LATER + 1):
            as_of = f"first_release_id <= {release} AND coalesce(last_release_id, {release}) >= {release}"
            shown = public.execute(f"SELECT {columns} FROM indicator_values_history WHERE {as_of}").df()
            truth = restricted.execute(f"SELECT {columns} FROM meta.release_cells WHERE {as_of}").df()
            visible = shown[shown.obs_status == "A"].merge(truth, on=KEY.split(", "), suffixes=("", "_true"))
            assert (visible.numerator == visible.numerator_true).all() and len(visible)
            releases.append((shown, truth))
    findings = attack(releases, bands, members, settings.disclosure_threshold, settings.protection_width)
    assert findings == [], findings[:5]
