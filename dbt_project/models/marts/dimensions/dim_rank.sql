-- The national rank tables, keyed on (country, local rank): the same word is a different grade in
-- different countries. Grain: rank_key.
with ranks as (

    select * from {{ ref('ranks') }}

)

select
    {{ rank_key() }} as rank_key,
    country_code,
    local_rank,
    rank_order,
    nato_code,
    {{ rank_band('nato_code') }} as rank_band,
    category as category_code,
    note
from ranks
