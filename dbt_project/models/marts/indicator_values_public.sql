-- The disclosure-controlled twin of indicator_values: what leaves the restricted zone. A row whose
-- numerator, or whose denominator minus numerator, is 1..threshold persons (var disclosure_threshold,
-- default 2) is confidential: obs_status 'C' and no numbers (primary suppression). Rows withheld to
-- protect them (secondary suppression, obs_status 'D') are chosen by parity's suppression asset, whose
-- audit must pass before it writes its decision (meta.suppression). A view: the suppression runs after
-- dbt's build (it reads indicator_values), and whatever reads the twin reads the decision of now. A row
-- without a decision (new since the last suppression) is withheld: never shown undecided; nothing is
-- exported without a passed audit of exactly what the twin shows (parity/releases.py).
-- Grain: (indicator_code, country_code, period, breakdown, breakdown_value).
{{ config(contract={'enforced': true}, materialized='view') }}
{%- set threshold = var('disclosure_threshold') | int %}

with indicator_values as (

    select * from {{ ref('indicator_values') }}

),

decisions as (

    select indicator_code, country_code, period, breakdown, breakdown_value, obs_status
    from {{ source('meta', 'suppression') }}

),

classified as (

    select
        v.*,
        case
            when
                v.numerator between 1 and {{ threshold }}
                or (v.denominator - v.numerator) between 1 and {{ threshold }}
                then 'C'
            else coalesce(d.obs_status, 'D')
        end as published_status
    from indicator_values as v
    left join decisions as d
        on
            d.indicator_code = v.indicator_code
            and d.country_code = v.country_code
            and d.period = v.period
            and d.breakdown = v.breakdown
            and d.breakdown_value = v.breakdown_value

)

select
    indicator_code,
    country_code,
    period,
    breakdown,
    breakdown_value,
    case when published_status = 'A' then numerator end as numerator,
    case when published_status = 'A' then denominator end as denominator,
    case when published_status = 'A' then value end as value,
    unit,
    cast(published_status as {{ dbt.type_string() }}) as obs_status
from classified
