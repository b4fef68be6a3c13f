-- Every person of snapshot(q) next to the same person in snapshot(q-1): the rank and category
-- changes the promotion indicators read. Grain: (country_code, period, person_key).
{{ config(materialized='partitioned', partition_inputs='person_history',
          unique_key=['country_code', 'period', 'person_key']) }}

with ranks as (

    select country_code, local_rank, rank_order from {{ ref('ranks') }}

),

-- snapshot(q) of the partitions to build and snapshot(q-1) they compare with, read once
ranked as (

    select
        p.*,
        {{ period_index('p.period') }} as period_index,
        r.rank_order,
        p.category_code in {{ sql_list('uniformed_categories') }} as is_uniformed
    from {{ ref('stg_personnel') }} as p
    left join ranks as r on r.country_code = p.country_code and r.local_rank = p.local_rank
    where
        {{ partition_filter(country_column='p.country_code', period_column='p.period') }}
        or {{ partition_filter(lag=1, country_column='p.country_code', period_column='p.period') }}

),

snapshot as (

    select * from ranked where {{ partition_filter() }}

)

select
    s.country_code,
    s.period,
    s.period_index,
    s.person_key,
    s.sex_code,
    s.birth_year,
    s.category_code,
    s.local_rank,
    s.rank_order,
    s.service_code,
    s.command_level_code,
    s.entry_date,
    s.is_uniformed,
    previous.person_key is not null as in_previous_snapshot,
    previous.category_code as previous_category_code,
    previous.rank_order as previous_rank_order,
    coalesce(previous.is_uniformed, false) as was_uniformed_previous,
    -- a rank that rose by one grade or by two within the quarter is one promotion
    coalesce(s.is_uniformed and previous.is_uniformed and s.rank_order > previous.rank_order, false) as is_promoted
from snapshot as s
left join ranked as previous
    on
        previous.country_code = s.country_code
        and previous.person_key = s.person_key
        and previous.period_index = s.period_index - 1
