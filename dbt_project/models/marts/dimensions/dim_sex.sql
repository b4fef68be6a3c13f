select sex_code, sex_name from {{ ref('sexes') }}
