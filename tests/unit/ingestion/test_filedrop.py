"""File drops: every contract rule on hand-made files, the reports they produce, the inbox.

The files are shaped like what an office sends: ``;``-separated CSV written by Excel (CRLF,
Italian dates, stray blanks, a trailing empty row), or an XLSX workbook.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from ingestion.ats.contracts import community_houses, general_practitioners
from ingestion.common import filedrop
from ingestion.common.errors import SourceError
from ingestion.common.filedrop import (
    Column,
    Consistency,
    ContractError,
    Coverage,
    FileContract,
    RowRule,
    check,
    check_bytes,
    newest_file,
    read_file,
    read_strings,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "filedrops"
GOOD = FIXTURES / "case_comunita_2025-06-30.csv"
BAD = FIXTURES / "case_comunita_2025-07-31.csv"
TODAY = date(2026, 1, 1)

# A contract with one rule of every kind, for the checks one by one.
PROBE = FileContract(
    source="test",
    dataset="probe",
    stem="prova",
    title_it="Prova",
    title_en="Probe",
    description_it="File di prova.",
    description_en="Test file.",
    sender="Test",
    landing_url="https://example.org",
    licence="CC0",
    columns=(
        Column("codice", "string", "Codice", "Code", pattern=r"P\d{2}", example="P01"),
        filedrop.comune_column(),
        filedrop.year_column(),
        Column("mese", "month", "Mese", "Month", not_future=True, example="2025-03"),
        Column("giorno", "date", "Giorno", "Day", required=False, not_future=True, example=""),
        Column("quantita", "integer", "Quantità", "Quantity", minimum=0, maximum=100, example="5"),
        Column("valore", "decimal", "Valore", "Value", required=False, minimum=0, example="2,5"),
        Column(
            "categoria", "string", "Categoria", "Category", allowed=("alfa", "beta"), example="alfa"
        ),
        Column("gruppo", "string", "Gruppo", "Group", example="G1"),
    ),
    primary_key=("codice",),
    consistency=(Consistency("gruppo", ("categoria",)),),
    row_rules=(
        RowRule(
            "valore_entro_quantita",
            ("valore", "quantita"),
            "valore non oltre la quantità",
            "value not above the quantity",
            lambda today: pl.col("valore") <= pl.col("quantita"),
        ),
    ),
)
HEADER = "codice;codice_comune;anno;mese;giorno;quantita;valore;categoria;gruppo"
ROW = "P01;015146;2024;2024-05;2024-05-17;10;2,5;alfa;G1"


def write(tmp_path: Path, lines: list[str], name: str = "prova_2025-01-01.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def violations(path: Path, contract: FileContract = PROBE) -> list[filedrop.Violation]:
    with pytest.raises(ContractError) as caught:
        read_file(contract, path, today=TODAY)
    return caught.value.violations


def only(path: Path, contract: FileContract = PROBE) -> filedrop.Violation:
    (found,) = violations(path, contract)
    return found


# -- reading what offices send ----------------------------------------------------------------


def test_a_good_excel_csv_is_typed_and_normalised() -> None:
    table = read_file(community_houses, GOOD, today=TODAY)
    assert table.columns == [c.name for c in community_houses.columns]
    assert table.height == 4  # the trailing ';;;;;;' row is dropped
    assert table.schema["data_apertura"] == pl.Date
    rho = table.row(1, named=True)
    assert rho["indirizzo"] == "Via Legnano; 20"  # a quoted separator stays in the value
    assert rho["stato"] == "attiva"  # 'Attiva ' stripped and spelled as the contract does
    assert rho["data_apertura"] == date(2023, 9, 18)  # from the Italian 18/09/2023
    assert table.row(0, named=True)["denominazione"] == "Casa della Comunità Rugabella"
    last = table.row(3, named=True)
    assert last["data_apertura"] is None  # optional, left empty
    assert last["tipologia"] == "hub"  # 'HUB'


def test_csv_and_xlsx_of_the_same_data_parse_identically(tmp_path: Path) -> None:
    table = read_file(community_houses, GOOD, today=TODAY)
    workbook = tmp_path / "case_comunita_2025-06-30.xlsx"
    workbook.write_bytes(filedrop.to_xlsx(community_houses, table))  # dates as date cells
    assert read_file(community_houses, workbook, today=TODAY).equals(table)
    rewritten = tmp_path / "case_comunita_2025-06-30.csv"
    rewritten.write_bytes(filedrop.to_csv(community_houses, table))
    assert read_file(community_houses, rewritten, today=TODAY).equals(table)


def test_xlsx_numbers_and_text_cells_read_like_csv(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "codice": ["P01", "P02"],
            "codice_comune": ["015146", "015002"],
            "anno": [2024, 2023],
            "mese": ["2024-05", "2023-01"],
            "giorno": [date(2024, 5, 17), None],
            "quantita": [10, 3],
            "valore": [2.5, 0.125],
            "categoria": ["alfa", "beta"],
            "gruppo": ["G1", "G2"],
        }
    )
    workbook = tmp_path / "prova_2025-01-01.xlsx"
    workbook.write_bytes(filedrop.to_xlsx(PROBE, frame))
    csv = write(tmp_path, [HEADER, ROW, "P02;015002;2023;2023-01;;3;0.125;beta;G2"])
    from_xlsx = read_file(PROBE, workbook, today=TODAY)
    assert from_xlsx.equals(read_file(PROBE, csv, today=TODAY))
    assert from_xlsx["mese"].to_list() == [date(2024, 5, 1), date(2023, 1, 1)]
    assert from_xlsx["valore"].to_list() == [2.5, 0.125]  # '2,5' in the CSV: decimal comma


def test_a_month_may_come_as_an_excel_date_on_the_first(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, ROW.replace(";2024-05;", ";2024-05-01 00:00:00;")])
    assert read_file(PROBE, path, today=TODAY)["mese"].to_list() == [date(2024, 5, 1)]
    path = write(tmp_path, [HEADER, ROW.replace(";2024-05;", ";2024-05-17;")])
    assert only(path).rule == "type"  # a day other than the first is no month


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_a_windows_1252_or_latin1_csv_reads_like_the_utf8_one(
    tmp_path: Path, encoding: str
) -> None:
    legacy = tmp_path / GOOD.name
    legacy.write_bytes(GOOD.read_text("utf-8").encode(encoding))
    assert legacy.read_bytes() != GOOD.read_bytes()  # 'à' is one byte (0xE0) here
    assert filedrop.decode_csv(legacy.read_bytes())[1] == "cp1252"
    table = read_file(community_houses, legacy, today=TODAY)
    assert table.equals(read_file(community_houses, GOOD, today=TODAY))
    assert table["denominazione"][0] == "Casa della Comunità Rugabella"


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    bom = tmp_path / GOOD.name
    bom.write_bytes(b"\xef\xbb\xbf" + GOOD.read_bytes())
    assert read_file(community_houses, bom, today=TODAY).height == 4


def test_utf16_is_rejected_with_the_fix_to_apply(tmp_path: Path) -> None:
    path = tmp_path / GOOD.name
    path.write_bytes(GOOD.read_text("utf-8").encode("utf-16"))
    found = only(path, community_houses)
    assert found.rule == "encoding"
    assert "save it as 'CSV UTF-8'" in found.en


def test_bytes_neither_utf8_nor_cp1252_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / GOOD.name
    path.write_bytes(GOOD.read_bytes().replace("à".encode(), b"\x81", 1))
    found = only(path, community_houses)
    assert found.rule == "encoding"
    assert "byte 0x81" in found.en


def test_a_comma_separated_file_is_told_its_separator(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER.replace(";", ","), ROW.replace(";", ",")])
    found = only(path)
    assert (found.rule, found.en) == ("separator", "the separator must be ';', the file uses ','")


def test_ragged_rows_are_listed_by_line(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, ROW, "P02;015002;2023", ROW.replace("P01", "P03") + ";x"])
    found = only(path)
    assert (found.rule, found.rows, found.values) == ("csv", (3, 4), ("3", "10"))


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (
            'P01;"015146;2024;2024-05;;10;;alfa;G1',
            "malformed CSV at line 2: unexpected end of data",
        ),
        ('P01;"015146"x;2024;2024-05;;10;;alfa;G1', "malformed CSV at line 2: ';' expected"),
    ],
)
def test_a_broken_quote_is_reported_with_its_line(
    tmp_path: Path, second: str, message: str
) -> None:
    found = only(write(tmp_path, [HEADER, second]))
    assert found.rule == "csv"
    assert found.en.startswith(message)


def test_header_problems_name_the_columns(tmp_path: Path) -> None:
    header = "codice;Codice_Comune ;anno;mese;quantita;valore;categoria;note;note"
    path = write(tmp_path, [header, "P01;015146;2024;2024-05;10;2;alfa;x;y"])
    found = {(v.en.split(" (")[0], v.values) for v in violations(path)}
    assert found == {
        ("columns repeated in the header", ("note",)),
        ("columns the contract does not define", ("note", "note")),
        ("required columns missing", ("gruppo",)),  # 'giorno' is optional; 'Codice_Comune ' ok
    }


def test_a_file_without_data_rows_is_rejected(tmp_path: Path) -> None:
    assert only(write(tmp_path, [HEADER, ";;;;;;;;"])).rule == "empty"


def test_optional_columns_may_be_left_out(tmp_path: Path) -> None:
    header = "codice;codice_comune;anno;mese;quantita;categoria;gruppo"
    path = write(tmp_path, [header, "P01;015146;2024;2024-05;10;alfa;G1"])
    table = read_file(PROBE, path, today=TODAY)
    assert table["giorno"].to_list() == [None]
    assert table["valore"].dtype == pl.Float64


# -- one rule at a time -----------------------------------------------------------------------


def bad_value(tmp_path: Path, column: str, value: str) -> filedrop.Violation:
    """The single violation of a file whose second row has ``value`` in ``column``."""
    names = HEADER.split(";")
    row = ROW.split(";")
    row[names.index(column)] = value
    second = ";".join(row).replace("P01", "P02", 1) if column != "codice" else ";".join(row)
    return only(write(tmp_path, [HEADER, ROW, second]))


@pytest.mark.parametrize(
    ("column", "value", "rule", "message"),
    [
        ("gruppo", "", "required", "missing value"),
        ("quantita", "1.000", "type", "not an integer"),
        ("quantita", "dieci", "type", "not an integer"),
        ("valore", "1.234,5", "type", "not a number (decimal comma or point, no thousands"),
        ("giorno", "2024-02-30", "type", "not a date YYYY-MM-DD or DD/MM/YYYY"),
        ("giorno", "05/17/2024", "type", "not a date"),  # month-first is no Italian date
        ("mese", "2024-13", "type", "not a month YYYY-MM"),
        ("categoria", "gamma", "allowed", "value not allowed (allowed: alfa, beta)"),
        ("quantita", "-1", "minimum", "value below 0"),
        ("valore", "-0,5", "minimum", "value below 0"),
        ("quantita", "101", "maximum", "value above 100"),
        ("codice", "P1", "pattern", "does not match the format P\\d{2}"),
        ("codice_comune", "108033", "comune", "not the ISTAT code of one of the 133 comuni"),
        ("anno", "2027", "future", "in the future (after 2026-01-01)"),
        ("anno", "1999", "minimum", "value below 2000"),
        ("mese", "2026-02", "future", "in the future"),
        ("giorno", "2026-01-02", "future", "in the future"),
    ],
)
def test_each_column_rule_names_column_row_and_value(
    tmp_path: Path, column: str, value: str, rule: str, message: str
) -> None:
    found = bad_value(tmp_path, column, value)
    assert (found.rule, found.column, found.rows) == (rule, column, (3,))
    assert found.en.startswith(message)
    assert found.values == (() if rule == "required" else (value,))
    assert found.count == 1


def test_a_comune_code_that_lost_its_leading_zero_gets_a_hint(tmp_path: Path) -> None:
    found = bad_value(tmp_path, "codice_comune", "15146")
    assert found.en.endswith("(leading zero lost? format the column as text)")


def test_the_boundaries_themselves_are_accepted(tmp_path: Path) -> None:
    # minimum 0 and maximum 100 inclusive; 2026-01-01 is today, not the future.
    rows = [
        ROW,
        "P02;015002;2026;2026-01;2026-01-01;0;0;beta;G2",
        "P03;015005;2000;2000-01;;100;;alfa;G1",
    ]
    table = read_file(PROBE, write(tmp_path, [HEADER, *rows]), today=TODAY)
    assert table["quantita"].to_list() == [10, 0, 100]


def test_a_repeated_key_lists_every_row_sharing_it(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, ROW, ROW.replace("P01", "P02"), ROW])
    found = only(path)
    assert (found.rule, found.rows, found.values) == ("primary_key", (2, 4), ("P01", "P01"))


def test_a_denormalised_column_must_agree_within_its_key(tmp_path: Path) -> None:
    # gruppo G1 is 'alfa' on rows 2 and 3 and 'beta' on row 4; G2 is alone.
    rows = [
        ROW,
        ROW.replace("P01", "P02"),
        ROW.replace("P01", "P03").replace("alfa", "beta"),
        ROW.replace("P01", "P04").replace("G1", "G2").replace("alfa", "beta"),
    ]
    found = only(write(tmp_path, [HEADER, *rows]))
    assert (found.rule, found.column, found.rows) == ("consistency", "categoria", (2, 3, 4))
    assert found.en == "rows with the same gruppo differ in categoria"


def test_a_row_rule_reports_its_rows_and_values(tmp_path: Path) -> None:
    # valore 12,5 > quantita 10 on row 3 only; row 4 has no valore (optional): not judged.
    rows = [
        ROW,
        ROW.replace("P01", "P02").replace("2,5", "12,5"),
        ROW.replace("P01", "P03").replace("2,5", ""),
    ]
    found = only(write(tmp_path, [HEADER, *rows]))
    assert (found.rule, found.column, found.rows, found.values) == (
        "valore_entro_quantita",
        "valore, quantita",
        (3,),
        ("12.5/10",),
    )


def test_a_bad_value_is_reported_once_not_again_by_row_rules(tmp_path: Path) -> None:
    found = bad_value(tmp_path, "quantita", "-3")  # would also break valore <= quantita
    assert found.rule == "minimum"


def test_at_most_ten_rows_are_listed_but_all_are_counted(tmp_path: Path) -> None:
    rows = [ROW.replace("P01", f"P{i:02d}").replace(";10;", ";-1;") for i in range(15)]
    found = only(write(tmp_path, [HEADER, *rows]))
    assert found.rows == tuple(range(2, 12))
    assert found.count == 15
    assert "15 in all" in found.summary()


def test_coverage_names_the_missing_comuni_per_year() -> None:
    codes = list(filedrop.metropolitan_comuni())
    assert len(codes) == 133
    rows = [(c, y, 1, 100) for y in (2023, 2024) for c in codes]
    rows = [r for r in rows if not (r[1] == 2024 and r[0] in ("015146", "015002"))]
    frame = pl.DataFrame(
        rows, schema=["codice_comune", "anno", "medici_mmg", "assistiti"], orient="row"
    )
    strings = frame.select(pl.all().cast(pl.String)).with_row_index("__row", offset=2)
    _, found = check(
        general_practitioners, strings.with_columns(pl.col("__row").cast(pl.Int64)), today=TODAY
    )
    (missing,) = found
    assert (missing.rule, missing.values, missing.count) == ("coverage", ("015002", "015146"), 2)
    assert missing.en == "2 of the 133 comuni are missing for anno=2024"


# -- the report and the error -------------------------------------------------------------------


def test_the_rejection_report_lists_every_problem_as_expected() -> None:
    """The bad fixture breaks, by hand: the id format (row 3), a missing name (row 4), two
    comune codes (rows 4 and 5), two closed lists (row 5), an impossible date (row 4), the key
    (rows 2 and 6) and an operating facility without a past opening date (rows 6 and 7)."""
    with pytest.raises(ContractError) as caught:
        read_file(community_houses, BAD, today=TODAY)
    report = filedrop.rejection_report(
        community_houses,
        BAD.name,
        caught.value.violations,
        checked_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    expected = (FIXTURES / "case_comunita_2025-07-31.rejection.md").read_text("utf-8")
    assert report.startswith(expected)
    # ...followed by the contract, so the office has the expectations at hand.
    assert "## Il contratto / The contract" in report
    assert "| `tipologia` | testo / text |" in report


def test_parse_raises_a_source_error_naming_file_column_rule_and_rows(tmp_path: Path) -> None:
    from ingestion.common.archive import RawArchive

    archive = RawArchive(tmp_path / "raw")
    with archive.retrieve("ats", "community_houses", source_mode="live") as staged:
        staged.path_for(BAD.name).write_bytes(BAD.read_bytes())
        staged.record(BAD.name, url=f"file://inbox/ats/community_houses/{BAD.name}")
    with pytest.raises(SourceError) as caught:
        filedrop.parse(community_houses, staged.result)
    error = caught.value
    assert (error.source, error.dataset) == ("ats", "community_houses")
    assert f"file {BAD.name} breaks the contract (8 problem(s))" in error.cause
    assert "column 'codice_comune' [comune]" in error.cause
    assert "at row(s) 4, 5 (values '15142', '108033')" in error.cause
    assert "report: inbox/ats/community_houses/rejected/case_comunita_2025-07-31.csv" in error.cause


def test_xlsx_problems_are_reported_not_raised(tmp_path: Path) -> None:
    not_a_workbook = tmp_path / "prova_2025-01-01.xlsx"
    not_a_workbook.write_bytes(b"PK\x03\x04 not really")
    assert only(not_a_workbook).rule == "xlsx"
    table = read_file(community_houses, GOOD, today=TODAY)
    named = FileContract(**{**community_houses.__dict__, "sheet": "strutture"})
    wrong_sheet = tmp_path / "case_comunita_2025-06-30.xlsx"
    wrong_sheet.write_bytes(filedrop.to_xlsx(community_houses, table))  # sheet 'dati'
    found = only(wrong_sheet, named)
    assert found.rule == "xlsx" and "with sheet 'strutture'" in found.en


def test_a_format_the_contract_does_not_accept_is_rejected(tmp_path: Path) -> None:
    from ingestion.ispra.soil_consumption import CONTRACT

    path = tmp_path / "consumo_suolo_comuni_2025-10-28.csv"
    path.write_text("codice_comune;anno\n015146;2024\n")
    found = only(path, CONTRACT)
    assert (found.rule, found.en) == ("format", "format 'csv' not accepted (accepted: xlsx)")


# -- the inbox ---------------------------------------------------------------------------------


def test_the_newest_date_in_the_name_wins_not_the_newest_file(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, mtime in (
        ("case_comunita_2025-06-30.csv", 2_000_000_000),
        ("case_comunita_2025-09-30.xlsx", 1_000_000_000),
        ("case_comunita_2025-07-31.csv", 1_500_000_000),
    ):
        (inbox / name).write_text("x")
        os.utime(inbox / name, (mtime, mtime))
    (inbox / "case_comunita_latest.csv").write_text("x")  # not named by the contract: ignored
    (inbox / "case_comunita_2026-01-01.txt").write_text("x")  # format not accepted: ignored
    assert newest_file(community_houses, inbox).name == "case_comunita_2025-09-30.xlsx"


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ((), "no file named case_comunita_AAAA-MM-GG.csv|xlsx in inbox/ats/community_houses/"),
        (("case_comunita_2025-02-30.csv",), "2025-02-30 in its name is no date"),
        (
            ("case_comunita_2025-06-30.csv", "case_comunita_2025-06-30.xlsx"),
            "ambiguous drop: ['case_comunita_2025-06-30.csv', 'case_comunita_2025-06-30.xlsx']",
        ),
        (("case_comunita_2999-01-01.csv",), "the date in its name is in the future"),
    ],
)
def test_an_unusable_inbox_says_why(tmp_path: Path, names: tuple[str, ...], message: str) -> None:
    for name in names:
        (tmp_path / name).write_text("x")
    with pytest.raises(SourceError, match=r"ats/community_houses: .*") as caught:
        newest_file(community_houses, tmp_path)
    assert message in caught.value.cause


def test_a_missing_inbox_tells_where_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no inbox folder inbox/ats/community_houses/"):
        newest_file(community_houses, tmp_path / "inbox" / "ats" / "community_houses")


def test_a_link_leaving_the_inbox_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "outside.csv"
    secret.write_text("id_struttura\nsecret\n")
    inbox = tmp_path / "data" / "inbox" / "ats" / "community_houses"
    inbox.mkdir(parents=True)
    (inbox / "case_comunita_2025-06-30.csv").symlink_to(secret)
    with pytest.raises(SourceError, match="link out of the inbox or not a regular file"):
        newest_file(community_houses, inbox)


def test_a_folder_named_like_a_drop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "case_comunita_2025-06-30.csv").mkdir()
    with pytest.raises(SourceError, match="not a regular file"):
        newest_file(community_houses, tmp_path)


@pytest.mark.parametrize(
    "name",
    [
        "../case_comunita_2025-06-30.csv",
        "..%2Fcase_comunita_2025-06-30.csv",
        "case_comunita_2025-06-30.csv/../../etc/passwd",
        "case_comunita_2025-06-30.csv\x00.txt",
        ".case_comunita_2025-06-30.csv",
    ],
)
def test_names_that_could_escape_never_match_a_contract(name: str) -> None:
    assert community_houses.name_regex.match(name) is None


def test_a_report_cannot_be_written_outside_the_inbox(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsafe file name"):
        filedrop.write_report(community_houses, tmp_path, "../../escape.csv", [])


# -- the contracts themselves ------------------------------------------------------------------


def test_the_published_contracts_are_up_to_date() -> None:
    committed = filedrop.DOCS_PATH.read_text("utf-8")
    assert committed == filedrop.render_docs(), (
        "docs/file-contracts.md is stale: run python -m ingestion.common.filedrop --docs "
        "docs/file-contracts.md"
    )


def test_every_contract_is_published_once() -> None:
    keys = [c.key for c in filedrop.contracts()]
    assert len(keys) == len(set(keys)) == 12
    docs = filedrop.render_docs()
    for contract in filedrop.contracts():
        assert f"## `{contract.key}`" in docs
        assert f"`{contract.name_pattern}`" in docs


@pytest.mark.parametrize("contract", filedrop.contracts(), ids=lambda c: c.key)
def test_each_contracts_example_row_keeps_its_own_rules(contract: FileContract) -> None:
    example = pl.DataFrame(
        {"__row": [2], **{c.name: [c.example or None] for c in contract.columns}},
        schema={"__row": pl.Int64, **{c.name: pl.String for c in contract.columns}},
    )
    _, found = check(contract, example, today=TODAY, coverage=False)
    assert found == []


def test_contract_declarations_are_checked() -> None:
    fields = {**PROBE.__dict__}
    with pytest.raises(ValueError, match="key column 'giorno' must be a required column"):
        FileContract(**{**fields, "primary_key": ("giorno",)})
    with pytest.raises(ValueError, match="rules name unknown columns"):
        FileContract(**{**fields, "coverage": (Coverage("comune"),)})
    with pytest.raises(ValueError, match="ranges apply to numbers only"):
        FileContract(
            **{**fields, "columns": (*PROBE.columns, Column("x", "string", "", "", minimum=0))}
        )
    with pytest.raises(ValueError, match="unsafe dataset name"):
        FileContract(**{**fields, "dataset": "../x"})


def test_a_synthetic_drop_that_breaks_its_contract_is_not_written(tmp_path: Path) -> None:
    table = read_file(community_houses, GOOD, today=TODAY).with_columns(
        pl.lit("aperta").alias("stato")
    )
    with pytest.raises(ValueError, match="synthetic drop breaks its contract"):
        filedrop.write_snapshot(
            community_houses, tmp_path, table, reference=date(2025, 6, 30), fmt="csv"
        )
    assert list(tmp_path.iterdir()) == []


def test_check_bytes_reads_a_payload_held_in_memory() -> None:
    table = check_bytes(community_houses, GOOD.name, GOOD.read_bytes(), today=TODAY)
    assert table.height == 4
    assert read_strings(community_houses, GOOD)["__row"].to_list() == [2, 3, 4, 5]
