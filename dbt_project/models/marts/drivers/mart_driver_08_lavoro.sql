-- Driver 8 Il lavoro al lavoro: its sources publish only the province (ISTAT labour force,
-- comunicazioni obbligatorie), so one row per year for the Città metropolitana.
{{ driver_mart([
    ('D08_01', 'd08_01_employment_rate_20_64_pct'),
    ('D08_02a', 'd08_02a_unemployment_rate_15_74_pct'),
    ('D08_02b', 'd08_02b_youth_unemployment_rate_15_24_pct'),
    ('D08_03a', 'd08_03a_contracts_activated'),
    ('D08_03b', 'd08_03b_contracts_ceased'),
    ('D08_03c', 'd08_03c_contracts_net_balance'),
    ('D08_04', 'd08_04_open_ended_share_pct'),
    ('D08_05a', 'd08_05a_people_taken_in_charge'),
    ('D08_05b', 'd08_05b_gol_beneficiaries'),
], level='cm') }}
