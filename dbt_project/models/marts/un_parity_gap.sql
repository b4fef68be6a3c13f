-- Women's share of UN deployments against the UN Uniformed Gender Parity Strategy targets, from the
-- public twin: contingent against the contingent target, individual (staff officers and observers)
-- against the individual target. A view, as the twin is: it shows the suppression decided after dbt's build.
-- Grain: (country_code, period, un_role).
{{ config(materialized='view') }}
with deployed as (

    select country_code, period, breakdown_value as un_role, obs_status, numerator, denominator, value
    from {{ ref('indicator_values_public') }}
    where indicator_code = 'WSHARE_DEPLOYED' and breakdown = 'un_role' and breakdown_value in ('contingent', 'individual')

),

targets as (

    select year, un_role, target_percent from {{ ref('un_parity_targets') }}

)

select
    d.country_code,
    d.period,
    d.un_role,
    d.obs_status,
    d.numerator as women_deployed,
    d.denominator as persons_deployed,
    d.value as women_percent,
    t.target_percent,
    d.value - t.target_percent as gap_points
from deployed as d
inner join {{ ref('dim_period') }} as p on p.period = d.period
left join targets as t
    on
        t.un_role = d.un_role
        -- before 2021 the first target applies, after 2028 the last
        and t.year = case when p.year < 2021 then 2021 when p.year > 2028 then 2028 else p.year end
