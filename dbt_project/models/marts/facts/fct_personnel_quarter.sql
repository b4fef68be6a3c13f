-- Person x quarter snapshot: everyone employed at the quarter's last day. Grain: (country_code, period, person_key).
{{ config(materialized='partitioned', partition_inputs='person_history',
          unique_key=['country_code', 'period', 'person_key']) }}

with history as (

    select * from {{ ref('int_person_quarter_history') }}
    where {{ partition_filter() }}

)

select
    {{ surrogate_key(['country_code', 'period', 'person_key']) }} as personnel_quarter_key,
    country_code,
    period,
    person_key,
    {{ rank_key() }} as rank_key,
    sex_code,
    category_code,
    service_code,
    command_level_code,
    birth_year,
    entry_date,
    is_uniformed,
    -- a command post is held by uniformed persons only; a decision-making post by anyone
    (is_uniformed and command_level_code is not null) as is_command_post,
    coalesce(command_level_code in {{ sql_list('decision_making_levels') }}, false) as is_decision_post,
    in_previous_snapshot,
    was_uniformed_previous,
    previous_rank_order,
    rank_order,
    is_promoted
from history
