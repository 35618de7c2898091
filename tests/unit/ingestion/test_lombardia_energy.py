"""CENED+2 energy certificates: classes consistent with EP values, the assumed schema, and
the bundled sample across the 133 comuni."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.common.archive import RawArchive
from ingestion.common.ingest import ingest
from ingestion.lombardia import energy
from osservatorio.settings import Settings
from tests.replicas.socrata import archive_answers

FIXTURES = Path(__file__).parents[2] / "fixtures" / "lombardia"


@pytest.mark.parametrize(
    ("ep", "expected"),
    [
        # Reference building EP 100 kWh/m² year: class limits are 40, 60, 80, 100, 120,
        # 150, 200, 260, 350; a value on a limit belongs to the better class.
        (40.0, "A4"),
        (40.01, "A3"),
        (100.0, "A1"),
        (100.5, "B"),
        (199.9, "D"),
        (350.0, "F"),
        (350.01, "G"),
    ],
)
def test_the_class_follows_the_ratio_to_the_reference_building(ep: float, expected) -> None:
    assert energy.energy_class(ep, 100.0) == expected


def test_a_certificate_page_is_typed(tmp_path: Path) -> None:
    schema = energy.SCHEMA
    retrieval = archive_answers(
        RawArchive(tmp_path / "raw"),
        "energy_certificates",
        [(FIXTURES / "bbky-sde5.page.json").read_bytes()],
        select=[f.header for f in schema.fields],
        count=3,
        view_id=energy.VIEW,
        partition="2024",
    )
    table = schema.conform(
        energy.CERTIFICATES.parse(retrieval), source="lombardia", dataset="energy_certificates"
    )
    assert table["ep_gl_nren"].to_list() == [315.69, 41.3, 104.8]
    assert table["anno_costruzione"].to_list() == [1962, 2023, None]  # the school omits it
    assert table["classificazione_dpr"].to_list() == ["E.1(1)", "E.1(1)", "E.7"]


def test_unconfirmed_columns_are_optional_and_the_documented_ones_required() -> None:
    required = {f.header for f in energy.SCHEMA.fields if f.required}
    assert required == {
        "cod_ape",
        "data_ins",
        "provincia",
        "comune",
        "classificazione_dpr",
        "classe_energetica",
        "ep_gl_nren",
    }
    assert energy.SCHEMA.primary_key == ("cod_ape",)
    assert "ASSUMED" in (energy.__doc__ or "")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    ingest(energy.CERTIFICATES, settings)
    return settings.warehouse_path


def frame(path: Path, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return pl.from_arrow(con.sql(sql).to_arrow_table())  # type: ignore[return-value]


def test_snapshot_certificates_cover_the_133_comuni_each_year_of_issue(warehouse: Path) -> None:
    table = frame(warehouse, "select * from raw.lombardia__energy_certificates")
    assert table["comune"].n_unique() == 133
    assert (table["data_ins"].dt.year().cast(pl.String) == table["_partition"]).all()
    per_year = table.group_by("_partition").len().sort("_partition")
    assert per_year["_partition"].to_list() == [str(y) for y in range(2020, 2026)]
    assert per_year["len"].min() >= 2_000  # a few thousand certificates a year
    assert set(table["classe_energetica"]) == set(energy.ENERGY_CLASSES)
    assert table["cod_ape"].n_unique() == table.height


def test_snapshot_ep_values_match_their_classes(warehouse: Path) -> None:
    homes = frame(
        warehouse,
        "select classe_energetica, min(ep_gl_nren) lo, max(ep_gl_nren) hi "
        "from raw.lombardia__energy_certificates where classificazione_dpr = 'E.1(1)' group by 1",
    )
    # Dwellings: reference EP 72 kWh/m² year, varying ±18% with the building's shape, i.e.
    # between 59.04 and 84.96. A class with limits (a, b] times the reference therefore holds
    # EP values between a x 59.04 and b x 84.96: G (above 3.5) at least 206.64, A4 (up to
    # 0.4) at most 33.98, D (1.5-2.0) between 88.56 and 169.92.
    limits = dict(
        zip(
            energy.ENERGY_CLASSES,
            zip((0.0, *energy.CLASS_LIMITS), (*energy.CLASS_LIMITS, 99.0), strict=True),
            strict=True,
        )
    )
    for name, lo, hi in homes.iter_rows():
        lower, upper = limits[name]
        assert lo >= lower * 59.04 - 0.01, name
        assert hi <= upper * 84.96 + 0.01, name
    by_class = dict(zip(homes["classe_energetica"], homes["lo"], strict=True))
    assert by_class["G"] >= 206.64 and by_class["A4"] <= 33.98


def test_snapshot_supports_the_energy_indicators(warehouse: Path) -> None:
    table = frame(
        warehouse,
        "select _partition, "
        "avg((classe_energetica in ('A1','A2','A3','A4'))::int) share_a, "
        "avg((classe_energetica in ('F','G'))::int) share_fg, "
        "count(*) filter (where classificazione_dpr = 'E.7') schools, "
        "count(*) filter (where classificazione_dpr = 'E.1(1)' and anno_costruzione < 1976) "
        "/ count(*) filter (where classificazione_dpr = 'E.1(1)') old_homes "
        "from raw.lombardia__energy_certificates group by 1 order by 1",
    )
    assert (table["share_a"] > 0.05).all() and (table["share_fg"] > 0.15).all()  # D03_01/03
    assert (table["schools"] >= 10).all()  # D07_03 needs school (E.7) certificates
    assert ((table["old_homes"] > 0.4) & (table["old_homes"] < 0.8)).all()  # D09_01
    assert table["share_a"][-1] > table["share_a"][0]  # new buildings make A more common
