"""What the platform publishes as open data, declared once.

Every published dataset is a table of the published warehouse with its titles and
descriptions in Italian and English, its EU data themes, its update frequency and its key.
Writers (CSV, Parquet, JSON, bundles), the DCAT-AP_IT catalogue, the Frictionless data
package, the release changelog and the portal all read this list, so adding a dataset to the
open data is adding an entry here.

Titles and descriptions are Italian first. The Drivers' titles, subtitles and lead sentences
are the plan's own words (Piano strategico triennale del territorio metropolitano 2022-2024,
PSTTM), as kept in ``dbt_project/seeds/driver.csv``; the English is a faithful translation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublishedDataset:
    slug: str  # file stem and local identifier, e.g. "fct_indicator_value"
    table: str  # schema-qualified table of the published warehouse
    title_it: str
    title_en: str
    description_it: str
    description_en: str
    # EU data themes (http://publications.europa.eu/resource/authority/data-theme/<code>).
    themes: tuple[str, ...]
    # EU frequency (http://publications.europa.eu/resource/authority/frequency/<code>).
    periodicity: str
    keywords_it: tuple[str, ...]
    keywords_en: tuple[str, ...]
    # The columns that identify a row: the changelog compares releases row by row on them,
    # and files are sorted by them so identical data gives identical bytes.
    key: tuple[str, ...]
    # Set for a Driver's mart: the Driver's bundle holds it.
    driver_id: str | None = None


PLAN_IT = "Piano strategico triennale del territorio metropolitano 2022-2024 (PSTTM)"
PLAN_EN = "Strategic Plan of the metropolitan territory 2022-2024 (PSTTM)"

_COMUNE_KEY = ("comune_code", "year")
_MART_ROWS_IT = (
    "Gli indicatori comunali del Driver affiancati: una riga per comune della Città "
    "metropolitana di Milano e anno (ogni anno coperto da almeno uno di essi), una colonna per "
    "indicatore; una colonna è vuota negli anni che il suo indicatore non copre. I valori per "
    "zona omogenea e per l'intera Città metropolitana sono in fct_indicator_value."
)
_MART_ROWS_EN = (
    "The Driver's comune-level indicators side by side: one row per comune of the Città "
    "metropolitana di Milano and year (every year any of them covers), one column per "
    "indicator; a column is empty in the years its indicator does not cover. The values per "
    "zona omogenea and for the Città metropolitana as a whole are in fct_indicator_value."
)


def _mart(
    number: int,
    slug: str,
    title_it: str,
    title_en: str,
    missions: str,
    quote_it: str,
    quote_en: str,
    indicators_it: str,
    indicators_en: str,
    sources_it: str,
    sources_en: str,
    themes: tuple[str, ...],
    keywords_it: tuple[str, ...],
    keywords_en: tuple[str, ...],
    rows_it: str = _MART_ROWS_IT,
    rows_en: str = _MART_ROWS_EN,
    key: tuple[str, ...] = _COMUNE_KEY,
) -> PublishedDataset:
    """A Driver's wide table, described from the plan's own words for the Driver."""
    driver_id = f"D{number:02d}"
    return PublishedDataset(
        slug=slug,
        table=f"marts.{slug}",
        title_it=f"Driver {number} {title_it}: indicatori per comune e anno",
        title_en=f"Driver {number} {title_en}: indicators by comune and year",
        description_it=(
            f"Driver {number} «{title_it}» del {PLAN_IT}, collegato alle missioni PNRR "
            f"{missions}: «{quote_it}» {rows_it} Indicatori: {indicators_it}. "
            f"Fonti: {sources_it}."
        ),
        description_en=(
            f"Driver {number} “{title_en}” of the {PLAN_EN}, related to PNRR missions "
            f"{missions}: “{quote_en}” {rows_en} Indicators: {indicators_en}. "
            f"Sources: {sources_en}."
        ),
        themes=themes,
        periodicity="ANNUAL",
        keywords_it=("Piano strategico metropolitano", f"Driver {number}", *keywords_it),
        keywords_en=("metropolitan strategic plan", f"Driver {number}", *keywords_en),
        key=key,
        driver_id=driver_id,
    )


FACTS: tuple[PublishedDataset, ...] = (
    PublishedDataset(
        slug="fct_indicator_value",
        table="marts.fct_indicator_value",
        title_it="Valori degli indicatori del Piano strategico metropolitano per territorio e anno",
        title_en="Metropolitan Strategic Plan indicator values by territory and year",
        description_it=(
            f"Tutti i valori degli indicatori con cui si misura il {PLAN_IT} della Città "
            "metropolitana di Milano: una riga per indicatore, livello territoriale (comune, "
            "zona omogenea, Città metropolitana, stazione di qualità dell'aria, Centro per "
            "l'impiego), territorio e anno. I valori di zona e della Città metropolitana sono "
            "calcolati dalla somma dei numeratori e dei denominatori dei loro comuni, mai come "
            "media dei rapporti comunali. Definizioni, unità e obiettivi degli indicatori in "
            "dim_indicator."
        ),
        description_en=(
            f"Every value of the indicators that measure the {PLAN_EN} of the Città "
            "metropolitana di Milano: one row per indicator, territory level (comune, zona "
            "omogenea, Città metropolitana, air-quality station, public employment centre), "
            "territory and year. Zona and metropolitan values are computed from the summed "
            "numerators and denominators of their comuni, never as an average of comune "
            "ratios. Definitions, units and targets of the indicators in dim_indicator."
        ),
        themes=("GOVE", "REGI"),
        periodicity="ANNUAL",
        keywords_it=(
            "Piano strategico metropolitano",
            "indicatori",
            "comuni",
            "zone omogenee",
            "PNRR",
        ),
        keywords_en=(
            "metropolitan strategic plan",
            "indicators",
            "municipalities",
            "homogeneous zones",
            "recovery plan",
        ),
        key=("indicator_id", "territory_level", "territory_code", "year"),
    ),
    PublishedDataset(
        slug="fct_target_progress",
        table="marts.fct_target_progress",
        title_it="Avanzamento verso gli obiettivi del Piano strategico metropolitano",
        title_en="Progress towards the targets of the Metropolitan Strategic Plan",
        description_it=(
            f"Per ogni indicatore del {PLAN_IT} che ha un obiettivo (un valore, o una "
            "direzione come «aumentare»), il valore più recente per l'intera Città "
            "metropolitana di Milano, quanto manca all'obiettivo e se l'andamento dal punto "
            "di riferimento (il valore di partenza del Piano, altrimenti il primo anno "
            "osservato) va nella direzione giusta. Una riga per indicatore."
        ),
        description_en=(
            f"For every indicator of the {PLAN_EN} with a target (a value, or a direction "
            "such as “increase”), the latest value for the Città metropolitana di Milano as a "
            "whole, the distance still to go and whether the trend since the reference point "
            "(the plan's baseline, else the first year observed) goes the right way. One row "
            "per indicator."
        ),
        themes=("GOVE", "REGI"),
        periodicity="ANNUAL",
        keywords_it=("Piano strategico metropolitano", "obiettivi", "monitoraggio", "PNRR"),
        keywords_en=("metropolitan strategic plan", "targets", "monitoring", "recovery plan"),
        key=("indicator_id",),
    ),
)

DRIVER_MARTS: tuple[PublishedDataset, ...] = (
    _mart(
        1,
        "mart_driver_01_campus_smart",
        "Campus Metropolitano Smart",
        "Smart Metropolitan Campus",
        "M1",
        "Il Campus Metropolitan Smart intende promuovere la condivisione di applicazioni "
        "innovative tra tutti gli attori pubblici del territorio per la realizzazione di un "
        "sistema integrato, in grado di sostenere la valorizzazione del territorio, tutelarne "
        "le eccellenze e porre le condizioni per il decollo di nuovi servizi interattivi "
        "rivolti ai cittadini e alle imprese.",
        "The Smart Metropolitan Campus aims to promote the sharing of innovative applications "
        "among all the public actors of the territory, to build an integrated system able to "
        "support the enhancement of the territory, protect its excellences and set the "
        "conditions for the take-off of new interactive services for citizens and businesses.",
        "adesione del comune alla rete metropolitana in fibra ottica (D01_01) e siti 5G attivi "
        "su immobili della Città metropolitana (D01_02), al 31 dicembre di ogni anno",
        "the comune's membership of the metropolitan fibre network (D01_01) and active 5G "
        "sites on Città metropolitana property (D01_02), on 31 December of each year",
        "registri della Città metropolitana (accordi per la rete in fibra ottica, siti 5G), "
        "ISTAT (elenco dei comuni)",
        "Città metropolitana registries (fibre network agreements, 5G sites), ISTAT (list of "
        "comuni)",
        themes=("TECH", "REGI"),
        keywords_it=("fibra ottica", "banda ultralarga", "5G", "servizi digitali"),
        keywords_en=("fibre optic network", "ultra-broadband", "5G", "digital services"),
    ),
    _mart(
        2,
        "mart_driver_02_verde_blu",
        "Politiche verdi e blu",
        "Green and blue policies",
        "M2",
        "L'azione di Città Metropolitana è finalizzata a ricercare un equilibrio dinamico tra "
        "contenimento del consumo di suolo e rigenerazione urbana/territoriale, interventi di "
        "forestazione e riqualificazione paesaggistica, agricoltura multifunzionale e food "
        "policy, valorizzazione delle vie d'acqua e turismo fuori porta.",
        "The action of the Città metropolitana seeks a dynamic balance between containing soil "
        "consumption and urban/territorial regeneration, afforestation and landscape "
        "requalification, multifunctional agriculture and food policy, the enhancement of "
        "waterways and out-of-town tourism.",
        "suolo consumato in % della superficie comunale (D02_01) e consumo di suolo netto "
        "dell'anno in ettari (D02_02)",
        "consumed soil as a share of the comune's area (D02_01) and net new soil consumption "
        "in the year, hectares (D02_02)",
        "ISPRA-SNPA, monitoraggio del consumo di suolo",
        "ISPRA-SNPA soil consumption monitoring",
        themes=("ENVI", "REGI"),
        keywords_it=("consumo di suolo", "ambiente", "rigenerazione urbana"),
        keywords_en=("soil consumption", "environment", "urban regeneration"),
    ),
    _mart(
        3,
        "mart_driver_03_sustain_ability",
        "Sustain-Ability",
        "Sustain-Ability",
        "M2",
        "Città metropolitana vuole rendere accessibili conoscenze e strumenti tecnologici per "
        "incrementare la quota di energie rinnovabili e rendere più efficienti gli edifici "
        "esistenti, ponendosi al centro di un sistema di governance territoriale volta al "
        "supporto degli enti locali.",
        "The Città metropolitana wants to make knowledge and technological tools accessible to "
        "increase the share of renewable energy and make existing buildings more efficient, "
        "placing itself at the centre of a system of territorial governance that supports "
        "local authorities.",
        "attestati di prestazione energetica in classe A1-A4 (D03_01) e F-G (D03_03), "
        "prestazione energetica globale non rinnovabile mediana degli edifici residenziali "
        "(D03_02), potenza fotovoltaica installata per 1.000 abitanti (D03_04)",
        "energy performance certificates in classes A1-A4 (D03_01) and F-G (D03_03), median "
        "non-renewable energy performance of residential buildings (D03_02), installed "
        "photovoltaic power per 1,000 residents (D03_04)",
        "Regione Lombardia (attestati di prestazione energetica CENED), GSE (impianti "
        "fotovoltaici), ISTAT (popolazione residente)",
        "Regione Lombardia (CENED energy performance certificates), GSE (photovoltaic plants), "
        "ISTAT (resident population)",
        themes=("ENER", "ENVI"),
        keywords_it=("energia", "attestati di prestazione energetica", "fotovoltaico"),
        keywords_en=("energy", "energy performance certificates", "photovoltaics"),
    ),
    _mart(
        4,
        "mart_driver_04_metabolismo_circolare",
        "Metabolismo circolare metropolitano",
        "Circular metropolitan metabolism",
        "M2",
        "Città metropolitana, assumendo il paradigma dell'economia circolare, si propone di "
        "promuovere un governo integrato della filiera dei rifiuti e del ciclo delle acque, "
        "sviluppando forme di partenariato pubblico-privato.",
        "The Città metropolitana, adopting the paradigm of the circular economy, aims to "
        "promote an integrated governance of the waste chain and of the water cycle, "
        "developing forms of public-private partnership.",
        "percentuale di raccolta differenziata (D04_01), rifiuti urbani (D04_02) e "
        "indifferenziati (D04_03) in kg per abitante",
        "separate collection rate (D04_01), municipal waste (D04_02) and unsorted waste "
        "(D04_03) in kg per resident",
        "ISPRA, Catasto rifiuti",
        "ISPRA waste register (Catasto rifiuti)",
        themes=("ENVI",),
        keywords_it=("rifiuti", "raccolta differenziata", "economia circolare"),
        keywords_en=("waste", "separate collection", "circular economy"),
    ),
    _mart(
        5,
        "mart_driver_05_mobilita",
        "Il diritto alla mobilità",
        "The right to mobility",
        "M3",
        "L'azione di Città metropolitana punta a migliorare l'efficacia e l'efficienza degli "
        "spostamenti di persone e merci, attraverso il potenziamento del trasporto pubblico e "
        "dell'interscambio modale, la riqualificazione della viabilità di secondo livello, lo "
        "sviluppo dei servizi di mobilità e il miglioramento della compatibilità territoriale e "
        "ambientale degli interventi.",
        "The action of the Città metropolitana aims to improve the effectiveness and efficiency "
        "of the movement of people and goods, by strengthening public transport and modal "
        "interchange, upgrading the second-level road network, developing mobility services "
        "and improving the territorial and environmental compatibility of the works.",
        "incidenti stradali con lesioni (D05_01), morti e feriti (D05_02) e punti di ricarica "
        "pubblici per veicoli elettrici (D05_03), per 10.000 abitanti",
        "road accidents with injuries (D05_01), people killed or injured (D05_02) and public "
        "charging points for electric vehicles (D05_03), per 10,000 residents",
        "ISTAT (incidenti stradali, popolazione residente), Piattaforma Unica Nazionale dei "
        "punti di ricarica (PUN)",
        "ISTAT (road accidents, resident population), national single platform of charging "
        "points (PUN)",
        themes=("TRAN",),
        keywords_it=("mobilità", "incidenti stradali", "ricarica veicoli elettrici"),
        keywords_en=("mobility", "road accidents", "electric vehicle charging"),
    ),
    _mart(
        6,
        "mart_driver_06_produzione_logistica",
        "Tra produzione e logistica",
        "Between production and logistics",
        "M1, M3",
        "Città metropolitana si propone di governare inedite dinamiche di sviluppo del sistema "
        "produttivo, in particolare nel settore della logistica, con l'obiettivo di "
        "razionalizzare la distribuzione territoriale degli insediamenti, migliorare "
        "l'accessibilità, elevare il grado di compatibilità ambientale e garantire a tutte le "
        "comunità le stesse opportunità di lavoro.",
        "The Città metropolitana aims to govern new dynamics in the development of the "
        "productive system, in particular in the logistics sector, with the objective of "
        "rationalising the territorial distribution of settlements, improving accessibility, "
        "raising their environmental compatibility and guaranteeing all communities the same "
        "job opportunities.",
        "addetti delle unità locali nel trasporto e magazzinaggio per 1.000 abitanti (D06_01) "
        "e in % degli addetti di tutti i settori (D06_02); i rapporti di lavoro attivati nel "
        "settore (D06_03) esistono solo per l'intera Città metropolitana e sono in "
        "fct_indicator_value",
        "employees of the local units in transport and warehousing per 1,000 residents "
        "(D06_01) and as a share of the employees of all sectors (D06_02); the labour "
        "contracts activated in the sector (D06_03) exist for the Città metropolitana as a "
        "whole only and are in fct_indicator_value",
        "ISTAT (unità locali delle imprese, ASIA; popolazione residente)",
        "ISTAT (local units of enterprises, ASIA; resident population)",
        themes=("ECON", "TRAN"),
        keywords_it=("logistica", "trasporto e magazzinaggio", "addetti"),
        keywords_en=("logistics", "transport and warehousing", "employees"),
    ),
    _mart(
        7,
        "mart_driver_07_scuole",
        "Scuole avamposto di comunità",
        "Schools as community outposts",
        "M4",
        "La programmazione della rete scolastica e la gestione dell\u2019edilizia scolastica sono "
        "funzioni che Città metropolitana intende mettere al lavoro per ridurre situazioni di "
        "emarginazione e degrado sociale, attraverso la riqualificazione di aree/edifici "
        "pubblici e la promozione di attività culturali e sportive aperte alla città e al "
        "territori.",
        "The planning of the school network and the management of school buildings are "
        "functions that the Città metropolitana intends to put to work to reduce "
        "marginalisation and social decay, through the requalification of public "
        "areas/buildings and the promotion of cultural and sports activities open to the city "
        "and the territories.",
        "scuole secondarie di secondo grado della Città metropolitana (D07_01), quota "
        "connessa in banda ultralarga (D07_02), attestati di prestazione energetica degli "
        "edifici scolastici in classe A1-B (D07_03)",
        "upper secondary schools of the Città metropolitana (D07_01), share with an "
        "ultra-broadband connection (D07_02), school building energy certificates in classes "
        "A1-B (D07_03)",
        "registro delle scuole secondarie di secondo grado della Città metropolitana, Regione "
        "Lombardia (attestati CENED)",
        "the Città metropolitana's registry of its upper secondary schools, Regione Lombardia "
        "(CENED certificates)",
        themes=("EDUC",),
        keywords_it=("scuole", "edilizia scolastica", "banda ultralarga"),
        keywords_en=("schools", "school buildings", "ultra-broadband"),
    ),
    _mart(
        8,
        "mart_driver_08_lavoro",
        "Il lavoro al lavoro",
        "Work at work",
        "M5",
        "Città metropolitana si propone di costruire un servizio pubblico di qualità "
        "riconosciuto da cittadini e imprese, in grado di sviluppare efficaci e misurabili "
        "politiche attive per il lavoro, aumentare quantità e qualità dei programmi di "
        "formazione per disoccupati e giovani, promuovere un sistema coordinato e integrato di "
        "attori pubblici e privati.",
        "The Città metropolitana aims to build a quality public service recognised by citizens "
        "and businesses, able to develop effective and measurable active labour policies, "
        "increase the quantity and quality of training programmes for the unemployed and "
        "young people, and promote a coordinated and integrated system of public and private "
        "actors.",
        "tasso di occupazione 20-64 anni (D08_01), tassi di disoccupazione 15-74 (D08_02a) e "
        "15-24 anni (D08_02b), rapporti di lavoro attivati (D08_03a), cessati (D08_03b) e "
        "saldo (D08_03c), quota di contratti a tempo indeterminato (D08_04), persone prese in "
        "carico dai Centri per l'impiego (D08_05a) e beneficiari del programma GOL (D08_05b)",
        "employment rate aged 20-64 (D08_01), unemployment rates aged 15-74 (D08_02a) and "
        "15-24 (D08_02b), labour contracts activated (D08_03a), ceased (D08_03b) and net "
        "balance (D08_03c), share of open-ended contracts (D08_04), people taken in charge by "
        "the public employment centres (D08_05a) and GOL programme beneficiaries (D08_05b)",
        "ISTAT (rilevazione sulle forze di lavoro), Regione Lombardia (comunicazioni "
        "obbligatorie), AFOL Metropolitana (Centri per l'impiego, programma GOL)",
        "ISTAT (labour force survey), Regione Lombardia (comunicazioni obbligatorie, the "
        "mandatory notices of hirings and terminations), AFOL Metropolitana (public employment "
        "centres, GOL programme)",
        themes=("ECON", "SOCI"),
        keywords_it=("lavoro", "occupazione", "disoccupazione", "Centri per l'impiego"),
        keywords_en=("labour", "employment", "unemployment", "public employment services"),
        rows_it=(
            "Gli indicatori del Driver affiancati per l'intera Città metropolitana di Milano, "
            "una riga per anno: le fonti pubblicano solo il dato provinciale (i valori per "
            "Centro per l'impiego sono in fct_indicator_value); una colonna è vuota negli anni "
            "che il suo indicatore non copre."
        ),
        rows_en=(
            "The Driver's indicators side by side for the Città metropolitana di Milano as a "
            "whole, one row per year: the sources publish the province only (the values per "
            "employment centre are in fct_indicator_value); a column is empty in the years its "
            "indicator does not cover."
        ),
        key=("year",),
    ),
    _mart(
        9,
        "mart_driver_09_housing",
        "Ri-generation Housing",
        "Re-generation Housing",
        "M5",
        "Città Metropolitana intende promuovere la rigenerazione territoriale nella sua "
        "accezione più vasta, che lega gli interventi di trasformazione fisica del territorio "
        "ad azioni nel campo dei servizi alla persona e dello sviluppo dei sistemi economici "
        "locali, configurando l'Ente come una struttura a sostegno dei Comuni nell'attivazione "
        "di progetti.",
        "The Città metropolitana intends to promote territorial regeneration in its widest "
        "sense, which links the physical transformation of the territory to actions in "
        "personal services and in the development of local economic systems, making the Ente "
        "a structure that supports the Comuni in starting projects.",
        "attestati residenziali di edifici costruiti prima del 1976 (D09_01), posti letto per "
        "studenti a canone moderato (D09_02), variazione della popolazione residente in "
        "cinque anni (D09_03)",
        "residential energy certificates of buildings built before 1976 (D09_01), student "
        "housing beds at moderate rent (D09_02), resident population change over five years "
        "(D09_03)",
        "Regione Lombardia (attestati CENED), registro metropolitano delle residenze "
        "universitarie, ISTAT (popolazione residente)",
        "Regione Lombardia (CENED certificates), the metropolitan student-housing registry, "
        "ISTAT (resident population)",
        themes=("SOCI", "REGI"),
        keywords_it=("abitare", "rigenerazione", "residenze universitarie", "popolazione"),
        keywords_en=("housing", "regeneration", "student housing", "population"),
    ),
    _mart(
        10,
        "mart_driver_10_salute",
        "Sistema salute territorio",
        "Health-territory system",
        "M6",
        "In un momento storico in cui vi è massima condivisione su un ritorno alla sanità "
        "territoriale, Città metropolitana e Comuni si propongono di svolgere una funzione di "
        "raccordo tra le domande dei cittadini e la programmazione territoriale, promuovendo "
        "l'integrazione tra servizi sanitari di prossimità e servizi sociali.",
        "At a time of the widest agreement on a return to territorial healthcare, the Città "
        "metropolitana and the Comuni aim to act as a link between the needs of citizens and "
        "territorial planning, promoting the integration of local health services and social "
        "services.",
        "Case della Comunità hub attive per 50.000 abitanti (D10_01), posti letto in Ospedali "
        "di Comunità per 100.000 abitanti (D10_02), medici di medicina generale per 1.000 "
        "abitanti adulti (D10_03), indice di vecchiaia (D10_06), farmacie per 10.000 abitanti "
        "(D10_07); la qualità dell'aria (D10_04, D10_05a, D10_05b) è misurata per stazione ed "
        "è in fct_indicator_value",
        "operating Community House hubs per 50,000 residents (D10_01), Community Hospital beds "
        "per 100,000 residents (D10_02), general practitioners per 1,000 adult residents "
        "(D10_03), old-age index (D10_06), pharmacies per 10,000 residents (D10_07); air "
        "quality (D10_04, D10_05a, D10_05b) is measured per station and is in "
        "fct_indicator_value",
        "ATS della Città Metropolitana di Milano (Case e Ospedali di Comunità, medici di "
        "medicina generale), Regione Lombardia (farmacie), ISTAT (popolazione residente)",
        "ATS of the Città metropolitana di Milano (Community Houses and Hospitals, general "
        "practitioners), Regione Lombardia (pharmacies), ISTAT (resident population)",
        themes=("HEAL", "SOCI"),
        keywords_it=("salute", "sanità territoriale", "Case della Comunità", "farmacie"),
        keywords_en=("health", "community healthcare", "Community Houses", "pharmacies"),
    ),
)

DIMENSIONS: tuple[PublishedDataset, ...] = (
    PublishedDataset(
        slug="dim_comune",
        table="marts.dim_comune",
        title_it="Comuni della Città metropolitana di Milano",
        title_en="Comuni of the Città metropolitana di Milano",
        description_it=(
            "I 133 comuni della Città metropolitana di Milano, una riga per comune, con codice "
            "ISTAT, codice catastale, codice NUTS 3 e la zona omogenea di appartenenza (il "
            "Comune di Milano forma un territorio a sé). Chiave per leggere i codici dei comuni "
            "negli altri dataset."
        ),
        description_en=(
            "The 133 comuni (municipalities) of the Città metropolitana di Milano, one row per "
            "comune, with ISTAT code, cadastral code, NUTS 3 code and the zona omogenea "
            "(homogeneous zone) each belongs to (the Comune di Milano is a territory of its "
            "own). The key to the comune codes of the other datasets."
        ),
        themes=("REGI", "GOVE"),
        periodicity="ANNUAL",
        keywords_it=("comuni", "codici ISTAT", "zone omogenee", "Città metropolitana di Milano"),
        keywords_en=(
            "municipalities",
            "ISTAT codes",
            "homogeneous zones",
            "Metropolitan City of Milan",
        ),
        key=("comune_code",),
    ),
    PublishedDataset(
        slug="dim_zona_omogenea",
        table="marts.dim_zona_omogenea",
        title_it="Zone omogenee della Città metropolitana di Milano",
        title_en="Zone omogenee (homogeneous zones) of the Città metropolitana di Milano",
        description_it=(
            "Gli 8 territori del livello zona: le 7 zone omogenee in cui sono organizzati i "
            "comuni della Città metropolitana di Milano più il Comune di Milano, con il numero "
            "di comuni di ciascuno. Una riga per territorio."
        ),
        description_en=(
            "The 8 territories of level zona: the 7 zone omogenee (homogeneous zones) into "
            "which the comuni of the Città metropolitana di Milano are organised, plus the "
            "Comune di Milano, with the number of comuni in each. One row per territory."
        ),
        themes=("REGI", "GOVE"),
        periodicity="IRREG",
        keywords_it=("zone omogenee", "comuni", "Città metropolitana di Milano"),
        keywords_en=("homogeneous zones", "municipalities", "Metropolitan City of Milan"),
        key=("zona_code",),
    ),
    PublishedDataset(
        slug="dim_driver",
        table="marts.dim_driver",
        title_it="Driver del Piano strategico metropolitano",
        title_en="Drivers of the Metropolitan Strategic Plan",
        description_it=(
            f"I dieci Driver dell'Agenda strategica del {PLAN_IT}, i «corridoi tematici» che "
            "organizzano idee, proposte e linee di azione del Piano: titolo, sottotitolo e "
            "frase di apertura come scritti nel Piano, con traduzione inglese, le missioni del "
            "PNRR collegate e il numero di indicatori che misurano ciascun Driver. Una riga per "
            "Driver."
        ),
        description_en=(
            f"The ten Drivers of the strategic agenda of the {PLAN_EN}, the “thematic "
            "corridors” that organise the plan's ideas, proposals and lines of action: title, "
            "subtitle and lead sentence as the plan writes them, with their English "
            "translation, the related PNRR missions and the number of indicators measuring "
            "each Driver. One row per Driver."
        ),
        themes=("GOVE",),
        periodicity="IRREG",
        keywords_it=("Piano strategico metropolitano", "Driver", "Agenda strategica", "PNRR"),
        keywords_en=("metropolitan strategic plan", "Drivers", "strategic agenda", "recovery plan"),
        key=("driver_id",),
    ),
    PublishedDataset(
        slug="dim_pnrr_mission",
        table="marts.dim_pnrr_mission",
        title_it="Missioni del PNRR e Driver del Piano strategico collegati",
        title_en="PNRR missions and the related Strategic Plan Drivers",
        description_it=(
            "Le sei missioni del Piano nazionale di ripresa e resilienza (PNRR), con i nomi "
            f"usati dal {PLAN_IT} e in inglese, e i Driver del Piano collegati a ciascuna. Una "
            "riga per missione."
        ),
        description_en=(
            "The six missions of the national recovery and resilience plan (PNRR), named as "
            f"the {PLAN_EN} names them and in English, with the plan's Drivers related to each. "
            "One row per mission."
        ),
        themes=("GOVE",),
        periodicity="IRREG",
        keywords_it=("PNRR", "missioni", "Piano strategico metropolitano"),
        keywords_en=("recovery plan", "PNRR missions", "metropolitan strategic plan"),
        key=("mission_id",),
    ),
    PublishedDataset(
        slug="dim_indicator",
        table="marts.dim_indicator",
        title_it="Catalogo degli indicatori del Piano strategico metropolitano",
        title_en="Catalogue of the Metropolitan Strategic Plan indicators",
        description_it=(
            f"Gli indicatori con cui si misura il {PLAN_IT}: nome in italiano e in inglese, "
            "definizione e formula, unità di misura, polarità, fonte, livello territoriale più "
            "fine consentito dalla fonte e, dove il Piano o una norma li indicano, valore di "
            "partenza e obiettivo con la loro citazione. Una riga per indicatore."
        ),
        description_en=(
            f"The indicators that measure the {PLAN_EN}: name in Italian and English, "
            "definition and formula, unit, polarity, source, finest territorial level the "
            "source allows and, where the plan or a norm gives them, baseline and target with "
            "their citation. One row per indicator."
        ),
        themes=("GOVE",),
        periodicity="IRREG",
        keywords_it=("indicatori", "obiettivi", "Piano strategico metropolitano", "metadati"),
        keywords_en=("indicators", "targets", "metropolitan strategic plan", "metadata"),
        key=("indicator_id",),
    ),
)

DATASETS: tuple[PublishedDataset, ...] = FACTS + DRIVER_MARTS + DIMENSIONS


def dataset(slug: str) -> PublishedDataset:
    """The published dataset with this slug (KeyError names the known ones)."""
    for candidate in DATASETS:
        if candidate.slug == slug:
            return candidate
    raise KeyError(f"no published dataset {slug!r}; known: {[d.slug for d in DATASETS]}")
