-- The snapshot indicators: women's share by category, rank, service, command and decision-making
-- posts. Reads snapshot(q) only. Grain: (country_code, period, indicator_code, breakdown, breakdown_value).
{{ config(materialized='partitioned', partition_inputs='workforce',
          unique_key=['country_code', 'period', 'indicator_code', 'breakdown', 'breakdown_value']) }}

with reported as (

    {{ reported_partitions() }}

),

snapshot as (

    select p.*, r.nato_code, r.rank_band
    from {{ ref('fct_personnel_quarter') }} as p
    left join {{ ref('dim_rank') }} as r on r.rank_key = p.rank_key
    where {{ partition_filter(country_column='p.country_code', period_column='p.period') }}

)

{{ indicator_rows('WSHARE_UNIFORMED', 'snapshot', 'reported', 'is_uniformed', "sex_code = 'F'",
                  breakdowns=[['service', 'service_code'], ['nato_rank', 'nato_code'], ['rank_band', 'rank_band']]) }}
{%- for indicator, category in [['WSHARE_OFFICERS', 'officer'], ['WSHARE_NCOS', 'nco'], ['WSHARE_SOLDIERS', 'soldier'],
                                ['WSHARE_CADETS', 'cadet'], ['WSHARE_CIVILIANS', 'civilian']] %}
union all
{{ indicator_rows(indicator, 'snapshot', 'reported', "category_code = '" ~ category ~ "'", "sex_code = 'F'") }}
{%- endfor %}
union all
{{ indicator_rows('WSHARE_COMMAND', 'snapshot', 'reported', 'is_command_post', "sex_code = 'F'") }}
union all
{{ indicator_rows('WSHARE_DECISION', 'snapshot', 'reported', 'is_decision_post', "sex_code = 'F'") }}
