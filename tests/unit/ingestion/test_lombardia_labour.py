"""Comunicazioni obbligatorie: one row per contract event, typed, and the bundled sample."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.common.archive import RawArchive
from ingestion.common.errors import SourceError
from ingestion.common.ingest import ingest
from ingestion.lombardia import labour, soda
from ingestion.lombardia.synthetic import TRANSPORT, soda_json
from osservatorio.settings import Settings
from tests.replicas.socrata import archive_answers

FIXTURES = Path(__file__).parents[2] / "fixtures" / "lombardia"
SCHEMA = labour.ACTIVATED.schema
SELECT = [f.header for f in SCHEMA.fields]


def parse(tmp_path: Path, page: bytes, count: int) -> pl.DataFrame:
    retrieval = archive_answers(
        RawArchive(tmp_path / "raw"),
        "labour_activated",
        [page],
        select=SELECT,
        count=count,
        view_id=labour.ACTIVATED_VIEW,
        partition="2024",
    )
    return labour.ACTIVATED.schema.conform(
        labour.ACTIVATED.parse(retrieval), source="lombardia", dataset="labour_activated"
    )


def test_events_are_typed_and_an_undeclared_working_time_is_null(tmp_path: Path) -> None:
    table = parse(tmp_path, (FIXTURES / "qbau-cyuc.page.json").read_bytes(), 4)
    assert table.columns == SCHEMA.names
    assert table["eta"].to_list() == [34, 27, 45, 52]
    assert table["modalitalavoro"].to_list()[1] is None  # the key was omitted
    assert table["data"].dt.year().unique().to_list() == [2024]
    # Hand count: 1 open-ended contract of 4; 2 in transport and warehousing (H49, H52).
    assert (table["contratto"] == labour.OPEN_ENDED).sum() == 1
    assert table["settoreeconomicodettaglio"].is_in(list(TRANSPORT)).sum() == 2


def test_a_dd_mm_yyyy_date_is_refused_naming_the_column(tmp_path: Path) -> None:
    page = soda_json([{"data": "15/03/2024", "genere": "F", "provinciaimpresa": "MILANO"}])
    with pytest.raises(SourceError, match=r"lombardia/labour_activated: column 'data'"):
        parse(tmp_path, page, 1)


def test_the_query_filters_the_employer_province_and_the_year() -> None:
    from ingestion.common.dataset import FetchContext

    context = FetchContext(Settings(data_dir=Path(".")), RawArchive(Path(".")), partition="2024")
    assert labour.CEASED_SPEC.where_for(context) == (
        "provinciaimpresa='MILANO' and data >= '2024-01-01T00:00:00' "
        "and data < '2025-01-01T00:00:00'"
    )
    assert labour.CEASED_SPEC.view_for("2024") == "nwz3-p6vm"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    results = ingest(labour.ACTIVATED, settings) + ingest(labour.CEASED, settings)
    assert all(r.loaded for r in results)
    return settings.warehouse_path


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.mark.parametrize("table", ["labour_activated", "labour_ceased"])
def test_snapshot_events_sit_inside_their_year_in_the_province(warehouse: Path, table) -> None:
    rows = query(
        warehouse,
        f"select _partition, count(*), min(year(data)), max(year(data)), "
        f"count(distinct provinciaimpresa), any_value(provinciaimpresa) "
        f"from raw.lombardia__{table} group by 1 order by 1",
    )
    assert [r[0] for r in rows] == ["2020", "2021", "2022", "2023", "2024", "2025"]
    for year, count, first, last, provinces, province in rows:
        assert first == last == int(year)
        assert provinces == 1 and province == "MILANO"
        assert 1_400 <= count <= 2_600  # a sample of about 2,000 events a year


def test_snapshot_supports_the_labour_indicators(warehouse: Path) -> None:
    transport = ", ".join(soda.quote(s) for s in TRANSPORT)
    rows = query(
        warehouse,
        f"select _partition, count(*) filter (where settoreeconomicodettaglio in ({transport})), "
        f"avg((contratto = '{labour.OPEN_ENDED}')::int) "
        f"from raw.lombardia__labour_activated group by 1 order by 1",
    )
    for _, transport_events, open_ended_share in rows:
        assert transport_events >= 100  # D06_03: H49-H53 activations, each year
        assert 0.1 < open_ended_share < 0.3  # D08_04: open-ended share of activations
    balance = query(
        warehouse,
        "select a._partition, a.n - c.n from "
        "(select _partition, count(*) n from raw.lombardia__labour_activated group by 1) a "
        "join (select _partition, count(*) n from raw.lombardia__labour_ceased group by 1) c "
        "using (_partition) order by 1",
    )
    # D08_03: 2020 lost jobs (more cessations than activations); the recovery gained them.
    assert balance[0][1] < 0 and all(net > 0 for _, net in balance[1:])


def test_snapshot_keeps_undeclared_working_time_as_null(warehouse: Path) -> None:
    ((nulls, total),) = query(
        warehouse,
        "select count(*) filter (where modalitalavoro is null), count(*) "
        "from raw.lombardia__labour_activated",
    )
    assert 0 < nulls < total * 0.06  # about 3% of the notices leave it out
