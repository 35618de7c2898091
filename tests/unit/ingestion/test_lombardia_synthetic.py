"""The bundled snapshot: reproducible, within budget, and recorded under the very requests
the live client would send."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ingestion.common.dataset import FetchContext
from ingestion.common.ingest import acquire
from ingestion.lombardia import DATASETS, air, soda, synthetic
from ingestion.lombardia.spec import SNAPSHOT_DIR
from osservatorio.settings import Settings

BUDGET_BYTES = 2_000_000
SPECS = {
    spec.name: spec
    for spec in (
        air.STATIONS_SPEC,
        air.MEASUREMENTS_SPEC,
        synthetic.labour.ACTIVATED_SPEC,
        synthetic.labour.CEASED_SPEC,
        synthetic.energy.SPEC,
        synthetic.health.HOSPITALS_SPEC,
        synthetic.health.PHARMACIES_SPEC,
    )
}


def test_the_snapshot_stays_within_its_budget() -> None:
    assert synthetic.snapshot_bytes() <= BUDGET_BYTES
    assert all(p.suffix in (".gz", ".json") for p in SNAPSHOT_DIR.rglob("*") if p.is_file())


def test_the_generator_rewrites_the_committed_snapshot_byte_for_byte(tmp_path: Path) -> None:
    written = synthetic.write_snapshot(tmp_path)
    committed = sorted(p.relative_to(SNAPSHOT_DIR) for p in SNAPSHOT_DIR.rglob("*") if p.is_file())
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert fresh == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (SNAPSHOT_DIR / name).read_bytes(), name
    assert written["air_stations"] == 34 and written["hospitals"] == 212


def test_gzip_members_carry_no_name_and_no_time() -> None:
    payload = synthetic.gzip_bytes(b"[]\n")
    assert payload == synthetic.gzip_bytes(b"[]\n")
    assert payload[4:8] == b"\x00\x00\x00\x00"  # MTIME
    assert payload[3] & 0x08 == 0  # no FNAME flag
    assert gzip.decompress(payload) == b"[]\n"


def test_scale_multiplies_the_sampled_volumes() -> None:
    one = synthetic.labour_rows("activated", 2024)
    assert one == synthetic.labour_rows("activated", 2024)  # seeded
    four = synthetic.labour_rows("activated", 2024, scale=4)
    assert 3.8 < len(four) / len(one) < 4.2


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory):
    """The archive state of a run: the stations registry acquired from the snapshot."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    acquire(air.STATIONS, settings)
    from ingestion.common.archive import RawArchive

    return settings, RawArchive(settings.raw_dir)


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d.name)
def test_each_bundled_payload_is_recorded_under_the_request_the_client_sends(
    dataset, context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(soda, "current_year", lambda: 2026)  # every bundled year is closed
    settings, archive = context
    spec = SPECS[dataset.name]
    for partition in dataset.partition_keys(settings):
        bundled = dataset.snapshot(partition)
        assert bundled[0].name == soda.VIEW_FILE and bundled[-1].name == soda.COUNT_FILE
        files = {f.name: f for f in bundled}
        view = soda.parse_view(gzip.decompress(files[soda.VIEW_FILE].path.read_bytes()))
        select = soda.check_schema(view, spec.schema, dataset=spec.name)
        where = spec.where_for(FetchContext(settings, archive, partition))
        view_id = spec.view_for(partition)
        assert files[soda.VIEW_FILE].url == soda.view_url(soda.DEFAULT_BASE_URL, view_id)
        page = files[soda.page_name(1)]
        assert page.url == soda.resource_url(soda.DEFAULT_BASE_URL, view_id)
        assert page.params == soda.query_params(select, where, limit=soda.PAGE_SIZE, offset=0)
        assert json.loads(page.headers["x-soda2-fields"]) == select
        count = files[soda.COUNT_FILE]
        assert count.params == soda.count_params(where)
        rows = soda.parse_rows(gzip.decompress(page.path.read_bytes()), select)
        assert soda.parse_count(gzip.decompress(count.path.read_bytes())) == len(rows)
