{#-
    A comune name in one spelling for joins on names (sources that publish names, not ISTAT
    codes: ARPA stations, CENED, pharmacies, hospitals): upper case, accents stripped,
    typographic apostrophes made plain, whitespace collapsed.
-#}
{% macro normalise_comune_name(column) -%}
    upper(strip_accents(regexp_replace(trim(replace({{ column }}, '’', '''')), '\s+', ' ', 'g')))
{%- endmacro %}
