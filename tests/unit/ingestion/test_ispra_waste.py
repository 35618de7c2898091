"""ISPRA Catasto rifiuti, dettaglio comunale: the parser on payloads shaped like the real file,
the bundled snapshot's consistency, and ``ingest()`` in snapshot mode.

The fixture ``tests/fixtures/ispra/dettaglio_comunale_2024.csv`` is hand-written in the
wire format of docs/sources.md section 3 (BOM, title, header with ``Frazione umida(1)`` and
`` Carta e cartone (t)``, four leading TABs, trailing ``;``, footnote). Its rows:

    Cantù 013041 (Como)                     Comune              -> other province, dropped
    Abbiategrasso 015002                    Comune              -> kept
    Albairate 015005                        Comune              -> kept
    Bubbiano 015035    Aggregazione: Unione dei Comuni di Bubbiano e Calvignasco  -> dropped
    Calvignasco 015042 Vedi aggregazione: (same)                  -> dropped
    Milano 015146                           Comune              -> kept
    Monza 108033 (Monza e della Brianza)    Comune              -> other province, dropped
"""

from __future__ import annotations

import gzip
import json
import logging
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingestion.common.errors import NoRecordsFound, SourceError
from ingestion.common.ingest import ingest
from ingestion.common.schema import normalise_header
from ingestion.ispra import DATASETS, synthetic, waste
from osservatorio.settings import Settings

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ispra"
FIXTURE = FIXTURES / "dettaglio_comunale_2024.csv"
EMPTY_2025 = FIXTURES / "dettaglio_comunale_2025_empty.csv"
SMALL = {"015002": "Abbiategrasso", "015005": "Albairate", "015146": "Milano"}
SNAPSHOT_BUDGET = 500_000


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    return waste.SCHEMA.conform(frame, source="ispra", dataset="waste")


def parse(raw: bytes, year: int = 2024, expected: dict[str, str] | None = None) -> pl.DataFrame:
    return conform(
        waste.parse_bytes(raw, year=year, expected=SMALL if expected is None else expected)
    )


def fixture() -> bytes:
    return FIXTURE.read_bytes()


def row(table: pl.DataFrame, code: str) -> dict:
    return table.filter(pl.col("istat_comune") == code).row(0, named=True)


# -- Italian numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimals", "percent", "expected"),
    [
        ("657.674,492", 3, False, Decimal("657674.492")),
        ("  64,79%", 2, True, Decimal("64.79")),
        (" 100,00%", 2, True, Decimal("100.00")),
        ("1.366.155", 0, False, Decimal("1366155")),
        ("0,499", 3, False, Decimal("0.499")),
        ("416,000", 3, False, Decimal("416.000")),
        ("1234,5", 3, False, Decimal("1234.5")),  # no thousands separator is still Italian
        ("-", 3, False, None),
        ("", 3, False, None),
        ("   ", 3, False, None),
        ("-%", 2, True, None),
    ],
)
def test_italian_numbers_are_read_exactly(text, decimals, percent, expected) -> None:
    assert waste.italian_decimal(text, decimals, percent=percent) == expected


@pytest.mark.parametrize(
    ("text", "decimals"),
    [
        ("1.2345", 3),  # a decimal point, or a thousands group of four: neither is Italian
        ("12,3456", 3),  # four decimals would be truncated silently by a decimal(18,3) cast
        ("1.234.56", 3),
        ("1,234.5", 3),  # English format
        ("n.d.", 3),
        ("1.366.155,5", 0),  # a population with decimals
    ],
)
def test_anything_else_is_refused(text, decimals) -> None:
    with pytest.raises(ValueError):
        waste.italian_number(text, decimals)


# -- the fixture, by hand ------------------------------------------------------------------


def test_only_comune_rows_of_province_015_are_kept() -> None:
    table = parse(fixture())
    assert table.columns == waste.SCHEMA.names
    assert len(waste.HEADERS) == 25
    assert sorted(table["istat_comune"]) == ["03015002", "03015005", "03015146"]
    assert set(table["dato_riferito_a"]) == {"Comune"}
    assert set(table["anno"]) == {2024}


def test_milano_row_hand_checked() -> None:
    milano = row(parse(fixture()), "03015146")
    assert milano["popolazione"] == 1_366_155  # "1.366.155"
    assert milano["totale_ru_t"] == Decimal("657674.492")  # "657.674,492"
    assert milano["percentuale_rd"] == Decimal("64.79")  # "  64,79%"
    assert milano["frazione_umida_t"] == Decimal("110500.250")  # "Frazione umida(1) (t)"
    assert milano["carta_e_cartone_t"] == Decimal("90000.000")  # " Carta e cartone (t)"
    assert milano["selettiva_t"] == Decimal("416.000")
    # Hand check of the file's own arithmetic, exact in decimals:
    #   fractions 110500.250 + 40200.750 + 90000 + 70000 + 18000 + 4000 + 55000 + 6000
    #             + 3000 + 416 + 10000 + 9000 + 8000 + 2000          = 426117.000 = Totale RD
    #   426117.000 + 7874.492 (ingombranti) + 223683.000 (indiff.) = 657674.492 = Totale RU
    #   426117 / 657674.492 = 0.647915...                             -> 64.79 %
    fractions = [milano[name] for _, name, _ in waste._TONNES_COLUMNS[:14]]
    assert sum(fractions) == milano["totale_rd_t"] == Decimal("426117.000")
    assert (
        milano["totale_rd_t"] + milano["ingombranti_a_smaltimento_t"] + milano["indifferenziato_t"]
        == milano["totale_ru_t"]
    )
    assert round(milano["totale_rd_t"] / milano["totale_ru_t"] * 100, 2) == milano["percentuale_rd"]
    assert (milano["regione"], milano["provincia"], milano["comune"]) == (
        "Lombardia",
        "Milano",
        "Milano",
    )


def test_dash_and_empty_cells_are_null_not_zero() -> None:
    table = parse(fixture())
    abbiategrasso = row(table, "03015002")
    assert abbiategrasso["selettiva_t"] is None  # "-"
    assert abbiategrasso["altro_t"] is None  # ""
    assert abbiategrasso["totale_rd_t"] == Decimal("7680.500")
    assert abbiategrasso["percentuale_rd"] == Decimal("76.42")  # 7680.5 / 10050 = 76.4229 %
    albairate = row(table, "03015005")
    assert albairate["ingombranti_a_smaltimento_t"] is None
    # 150 + 100 + 120 + 110 + 30 + 10 + 70 + 8 + 12 = 610; 610 / 900 = 67.78 %
    assert albairate["totale_rd_t"] == Decimal("610.000")
    assert albairate["percentuale_rd"] == Decimal("67.78")


def test_types_are_exact_decimals() -> None:
    schema = parse(fixture()).schema
    assert schema["totale_ru_t"] == pl.Decimal(18, 3)
    assert schema["percentuale_rd"] == pl.Decimal(5, 2)
    assert schema["popolazione"] == pl.Int64
    assert schema["anno"] == pl.Int32


def test_join_key_is_the_right_six_digits() -> None:
    codes = parse(fixture())["istat_comune"].str.slice(2, 6).sort().to_list()
    assert codes == sorted(SMALL)


def test_without_bom_with_crlf_and_without_title_parses_the_same() -> None:
    expected = parse(fixture())
    text = fixture().decode("utf-8-sig")
    crlf = text.replace("\n", "\r\n").encode("utf-8")
    no_title = "\n".join(text.splitlines()[1:]).encode("utf-8")
    for variant in (crlf, no_title):
        assert parse(variant).equals(expected)


def test_a_header_with_a_trailing_separator_parses_the_same() -> None:
    lines = fixture().decode("utf-8-sig").splitlines()
    lines[1] += ";"
    assert parse("\n".join(lines).encode()).equals(parse(fixture()))


def test_columns_are_matched_by_name_not_position() -> None:
    lines = fixture().decode("utf-8-sig").splitlines()
    bare = [line.lstrip("\t").removesuffix(";") for line in lines[1:-1]]
    split = [line.split(";") for line in bare]
    swapped = [";".join([cells[1], cells[0], *cells[2:]]) for cells in split]
    text = "\n".join([lines[0], *swapped, lines[-1]])
    assert parse(text.encode()).sort("istat_comune").equals(parse(fixture()).sort("istat_comune"))


# -- completeness ---------------------------------------------------------------------------


def test_a_metropolitan_comune_without_a_comune_row_is_a_warning_naming_it(caplog) -> None:
    expected = {**SMALL, "015035": "Bubbiano", "015042": "Calvignasco"}
    with caplog.at_level(logging.WARNING, logger="ingestion.ispra.waste"):
        table = parse(fixture(), expected=expected)
    assert table.height == 3  # the aggregation's comuni have no row of their own
    (warning,) = [r for r in caplog.records if "have no 'Comune' row" in r.getMessage()]
    message = warning.getMessage()
    assert message.startswith("ispra/waste 2024: 2 of the 5 comuni")
    assert "015035 Bubbiano, 015042 Calvignasco" in message


def test_province_codes_outside_the_list_are_kept_and_reported(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="ingestion.ispra.waste"):
        table = parse(fixture(), expected={"015146": "Milano", "015002": "Abbiategrasso"})
    assert table.height == 3
    assert any(
        "not in the current list" in r.getMessage() and "015005" in r.getMessage()
        for r in caplog.records
    )


def test_completeness_compares_codes() -> None:
    result = waste.completeness(["015146", "015999"], ["015146", "015002"])
    assert (result.missing, result.unexpected) == (["015002"], ["015999"])


def test_the_reference_is_the_133_comuni_of_the_citta_metropolitana() -> None:
    reference = waste.metropolitan_comuni()
    assert len(reference) == 133
    assert reference["015146"] == "Milano"
    assert all(code.startswith(waste.PROVINCE) for code in reference)


# -- bad input ------------------------------------------------------------------------------


def test_an_unpublished_year_is_no_records_found() -> None:
    raw = EMPTY_2025.read_bytes()
    assert len(raw) < 600  # the real empty 2025 file is about 535 bytes
    with pytest.raises(NoRecordsFound, match=r"^ispra/waste: the 2025 file holds a header but no"):
        waste.parse_bytes(raw, year=2025)
    footnote_only = raw + b"(1) Frazione umida: nota.\n"
    with pytest.raises(NoRecordsFound):
        waste.parse_bytes(footnote_only, year=2025)


def test_an_html_page_is_a_source_error() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>Catasto Rifiuti</title></head><body></body></html>"
    with pytest.raises(SourceError, match=r"^ispra/waste: got an HTML page instead of the CSV"):
        waste.parse_bytes(page, year=2024)


def test_an_empty_body_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="empty answer"):
        waste.parse_bytes(b"\xef\xbb\xbf\n", year=2024)


def test_latin1_is_refused_not_guessed() -> None:
    latin1 = fixture().decode("utf-8-sig").encode("latin-1")  # "Cantù", "quantità"
    with pytest.raises(SourceError, match=r"^ispra/waste: file is not UTF-8"):
        waste.parse_bytes(latin1, year=2024)


def test_a_file_of_another_year_is_refused() -> None:
    with pytest.raises(SourceError, match=r"asked for 2023, the file's title says .*Anno 2024"):
        waste.parse_bytes(fixture(), year=2023)


def test_no_header_is_a_source_error() -> None:
    text = fixture().decode("utf-8-sig").replace("IstatComune;", "Codice;", 1)
    with pytest.raises(SourceError, match="no header line with a column 'IstatComune'"):
        waste.parse_bytes(text.encode(), year=2024)


def test_a_missing_column_is_schema_drift() -> None:
    text = fixture().decode("utf-8-sig").replace("Totale RU (t)", "Totale rifiuti (t)")
    with pytest.raises(
        SourceError, match=r"schema drift: missing column\(s\) \['Totale RU \(t\)'\]"
    ):
        parse(text.encode())


def test_a_missing_kind_column_is_schema_drift_before_filtering() -> None:
    text = fixture().decode("utf-8-sig").replace("Dato riferito a", "Riferimento")
    with pytest.raises(
        SourceError, match=r"schema drift: missing column\(s\) \['Dato riferito a'\]"
    ):
        waste.parse_bytes(text.encode(), year=2024)


def test_a_row_cut_short_is_an_error_naming_the_line() -> None:
    text = fixture().decode("utf-8-sig")
    cut = text[: text.index("03015146") + 40]  # the body ends in the middle of Milano's row
    with pytest.raises(SourceError, match=r"line 8 has \d+ fields, the header 25: a row cut short"):
        waste.parse_bytes(cut.encode(), year=2024)


def test_a_stray_line_between_rows_is_an_error() -> None:
    lines = fixture().decode("utf-8-sig").splitlines()
    lines.insert(4, "<b>Warning</b>: mysql_connect(): too many connections")
    with pytest.raises(SourceError, match=r"line 5 is not a row of 25 fields but rows follow it"):
        waste.parse_bytes("\n".join(lines).encode(), year=2024)


def test_a_number_not_in_italian_format_names_the_column() -> None:
    text = fixture().decode("utf-8-sig").replace("657.674,492", "657674.4921")
    with pytest.raises(
        SourceError, match=r"column 'Totale RU \(t\)': value\(s\) \['657674.4921'\]"
    ):
        waste.parse_bytes(text.encode(), year=2024)


def test_a_bad_code_is_an_error() -> None:
    text = fixture().decode("utf-8-sig").replace("03015146;", "3015146;")
    with pytest.raises(SourceError, match=r"IstatComune '3015146' is not 8 digits"):
        waste.parse_bytes(text.encode(), year=2024)


def test_a_duplicated_row_is_an_error() -> None:
    lines = fixture().decode("utf-8-sig").splitlines()
    lines.insert(7, lines[7])  # Milano twice
    with pytest.raises(SourceError, match=r"rows share a key \('anno', 'istat_comune'\)"):
        parse("\n".join(lines).encode())


def test_a_file_without_province_015_is_an_error() -> None:
    lines = fixture().decode("utf-8-sig").splitlines()
    kept = [line for line in lines if "Lombardia;Milano;" not in line]  # Cantù, Monza left
    with pytest.raises(
        SourceError, match=r"none of the 2 'Comune' rows of 2024 is in province 015"
    ):
        waste.parse_bytes("\n".join(kept).encode(), year=2024)


def test_a_value_too_large_for_its_type_names_the_column() -> None:
    text = fixture().decode("utf-8-sig").replace("1.366.155", "99.999.999.999.999.999.999")
    with pytest.raises(SourceError, match=r"column 'Popolazione'"):
        parse(text.encode())


# -- the bundled snapshot -------------------------------------------------------------------


@pytest.fixture(scope="module")
def snapshot_tables() -> dict[int, pl.DataFrame]:
    return {
        year: conform(
            waste.parse_bytes(
                gzip.decompress((waste.SNAPSHOT_DIR / f"waste-{year}.csv.gz").read_bytes()),
                year=year,
            )
        )
        for year in waste.snapshot_years()
    }


def test_snapshot_years_and_size() -> None:
    assert waste.snapshot_years() == [2019, 2020, 2021, 2022, 2023, 2024]
    size = sum(p.stat().st_size for p in waste.SNAPSHOT_DIR.glob("waste-*"))
    assert size <= SNAPSHOT_BUDGET


def test_snapshot_is_the_real_wire_format() -> None:
    raw = gzip.decompress((waste.SNAPSHOT_DIR / "waste-2024.csv.gz").read_bytes())
    lines = raw.decode("utf-8").split("\n")
    assert raw.startswith(b"\xef\xbb\xbfProduzione e raccolta differenziata")
    assert lines[1].startswith("IstatComune;Regione;Provincia;Comune;Popolazione;Dato riferito a;")
    assert [normalise_header(h) for h in lines[1].split(";")] == [
        normalise_header(h) for h in waste.HEADERS
    ]
    data = [line for line in lines[2:] if line.startswith("\t")]
    assert all(line.startswith("\t\t\t\t0") and line.endswith(";") for line in data)
    assert lines[-2].startswith("(1) Frazione umida") and lines[-1] == ""
    kinds = {line.split(";")[5].split(":")[0] for line in data}
    assert kinds == {"Comune", "Aggregazione", "Vedi aggregazione"}
    assert any(";-;" in line for line in data) and any(";;" in line for line in data)
    other = {line[4:12] for line in data if line[6:9] != "015"}
    assert {"03108033", "03013041", "04022005"} <= other
    older = gzip.decompress((waste.SNAPSHOT_DIR / "waste-2019.csv.gz").read_bytes())
    assert b"; Carta e cartone (t);" in older  # the header's leading space, some years


def test_snapshot_requests_record_the_real_url() -> None:
    for year in waste.snapshot_years():
        request = json.loads((waste.SNAPSHOT_DIR / f"waste-{year}.request.json").read_text())
        assert request["url"] == (
            "https://www.catasto-rifiuti.isprambiente.it/get/getDettaglioComunale.csv.php"
        )
        assert request["params"] == {"aa": str(year)}
        (item,) = waste.snapshot(str(year))
        assert item.name == waste.PAYLOAD and item.params == {"aa": str(year)}


def test_snapshot_has_the_133_comuni_every_year(snapshot_tables) -> None:
    reference = set(waste.metropolitan_comuni())
    for table in snapshot_tables.values():
        assert set(table["istat_comune"].str.slice(2)) == reference


def test_snapshot_is_internally_consistent(snapshot_tables) -> None:
    fractions = [name for _, name, _ in waste._TONNES_COLUMNS[:14]]
    for year, table in snapshot_tables.items():
        t = table.with_columns(pl.col(pl.Decimal).fill_null(0))
        assert t.select(pl.sum_horizontal(fractions) == pl.col("totale_rd_t")).to_series().all()
        total = (
            pl.col("totale_rd_t")
            + pl.col("ingombranti_a_smaltimento_t")
            + pl.col("indifferenziato_t")
        )
        assert t.select(total == pl.col("totale_ru_t")).to_series().all()
        for r in t.iter_rows(named=True):
            rate = (r["totale_rd_t"] / r["totale_ru_t"] * 100).quantize(Decimal("0.01"))
            assert abs(rate - r["percentuale_rd"]) <= Decimal("0.01"), (year, r["comune"])
            assert Decimal(60) <= r["percentuale_rd"] <= Decimal(85)
            kg_per_resident = r["totale_ru_t"] * 1000 / r["popolazione"]
            assert 300 < kg_per_resident < 700


def test_snapshot_population_is_istat_on_31_december(snapshot_tables) -> None:
    residents = synthetic.istat_population()
    for year, table in snapshot_tables.items():
        for code, population in table.select("istat_comune", "popolazione").iter_rows():
            assert population == residents[(code[2:], year + 1)]


def test_milano_2024_in_the_snapshot() -> None:
    raw = gzip.decompress((waste.SNAPSHOT_DIR / "waste-2024.csv.gz").read_bytes()).decode()
    (line,) = [x for x in raw.splitlines() if "\t03015146;" in x]
    cells = line.strip("\t;").split(";")
    milano = row(conform(waste.parse_bytes(raw.encode(), year=2024)), "03015146")
    # The same cells read by hand: "1.364.855" -> 1364855, "661.443,286" -> 661443.286, ...
    assert milano["popolazione"] == int(cells[4].replace(".", ""))
    assert milano["totale_ru_t"] == Decimal(cells[23].replace(".", "").replace(",", "."))
    assert milano["percentuale_rd"] == Decimal(cells[24].strip(" %").replace(",", "."))
    per_resident = milano["totale_ru_t"] * 1000 / milano["popolazione"]
    assert 470 < per_resident < 495  # about 481 kg per resident in Milano (sources.md 3)


def test_the_generator_is_deterministic(tmp_path) -> None:
    written = synthetic.write_waste_snapshot(tmp_path, range(2019, 2025))
    for path in written:
        assert path.read_bytes() == (waste.SNAPSHOT_DIR / path.name).read_bytes()
        request = path.name.replace(".csv.gz", ".request.json")
        assert (tmp_path / request).read_text() == (waste.SNAPSHOT_DIR / request).read_text()


def test_the_generator_scales_to_more_of_italy() -> None:
    rows = synthetic.waste_rows([2024], scale=0.01)[2024]
    others = [r for r in rows if not r.place.code.startswith("015")]
    assert 78 < len(others) < 95  # 3 + 5 fixed, plus 1% of the ~7,760 other comuni
    assert len(rows) == len({r.place.code for r in rows})


def test_the_generator_writes_an_unpublished_year_as_header_only() -> None:
    raw = synthetic.waste_csv([], 2025)
    assert len(raw) < 600
    with pytest.raises(NoRecordsFound):
        waste.parse_bytes(raw, year=2025)


def test_italian_formatting_of_the_generator() -> None:
    assert synthetic.italian(657_674_492, 3) == "657.674,492"
    assert synthetic.italian(1_366_155, 0) == "1.366.155"
    assert synthetic.italian(499, 3) == "0,499"
    assert synthetic.percent(6479) == "  64,79%"
    assert synthetic.percent(10000) == " 100,00%"
    # 426117.000 / 657674.492 = 64.7915...% -> 6479 hundredths
    assert synthetic.rate_hundredths(426_117_000, 657_674_492) == 6479


# -- the declaration and ingest() in snapshot mode ------------------------------------------


def test_dataset_declaration() -> None:
    assert waste.DATASET in DATASETS
    assert waste.DATASET.table == "ispra__waste"
    assert waste.DATASET.synthetic_snapshot
    assert waste.SCHEMA.primary_key == ("anno", "istat_comune")
    assert all(f.description for f in waste.SCHEMA.fields)


def test_partitions_by_mode(tmp_path) -> None:
    from datetime import date

    snapshot = Settings(data_dir=tmp_path)
    assert waste.DATASET.partition_keys(snapshot) == [
        "2019",
        "2020",
        "2021",
        "2022",
        "2023",
        "2024",
    ]
    live = Settings(data_dir=tmp_path, source_mode="live")
    years = waste.DATASET.partition_keys(live)
    assert years[0] == "2010" and years[-1] == str(date.today().year - 1)


def test_a_year_without_snapshot_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match=r"no bundled snapshot for 2009; bundled years: \[2019"):
        waste.snapshot("2009")


def test_ingest_in_snapshot_mode(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    results = ingest(waste.DATASET, settings)
    assert [r.partition for r in results] == ["2019", "2020", "2021", "2022", "2023", "2024"]
    assert [r.rows for r in results] == [133] * 6 and all(r.loaded for r in results)
    retrieval = results[-1].retrieval
    assert retrieval.manifest["synthetic"] is True
    assert retrieval.files[0]["url"].endswith("/get/getDettaglioComunale.csv.php")
    assert retrieval.files[0]["params"] == {"aa": "2024"}

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        count, years, comuni = con.execute(
            "select count(*), count(distinct anno), count(distinct istat_comune) "
            "from raw.ispra__waste"
        ).fetchone()
        assert (count, years, comuni) == (798, 6, 133)  # 133 comuni x 6 years
        milano = con.execute(
            "select popolazione, totale_ru_t, percentuale_rd, typeof(totale_ru_t), _partition "
            "from raw.ispra__waste where istat_comune = '03015146' and anno = 2024"
        ).fetchone()
    expected = row(
        conform(
            waste.parse_bytes(
                gzip.decompress((waste.SNAPSHOT_DIR / "waste-2024.csv.gz").read_bytes()), year=2024
            )
        ),
        "03015146",
    )
    assert milano == (
        expected["popolazione"],
        expected["totale_ru_t"],
        expected["percentuale_rd"],
        "DECIMAL(18,3)",
        "2024",
    )
    again = ingest(waste.DATASET, settings)
    assert not any(r.loaded for r in again)  # unchanged: nothing archived or reloaded
