-- Contracts ceased (comunicazioni obbligatorie, Regione Lombardia): one row per event.
{{ stg_lombardia_labour_flow('lombardia__labour_ceased', 'ceased') }}
