-- Women among the distinct persons with a deployment overlapping q; un_role counts UN deployments
-- by role, plus `individual` (staff officers and observers together, as the UN parity target does).
-- Grain: (country_code, period, indicator_code, breakdown, breakdown_value).
{{ config(materialized='partitioned', partition_inputs='deployment_indicators',
          unique_key=['country_code', 'period', 'indicator_code', 'breakdown', 'breakdown_value']) }}

with reported as (

    {{ reported_partitions(requires=['deployments_id']) }}

),

deployments as (

    select * from {{ ref('fct_deployments') }}
    where {{ partition_filter() }}

)

{{ indicator_rows('WSHARE_DEPLOYED', 'deployments', 'reported', '1 = 1', "sex_code = 'F'", distinct='person_key',
                  breakdowns=[
                      ['organization', 'organization_code'],
                      ['role', 'role_code'],
                      ['un_role', "case when organization_code = 'UN' then role_code end"],
                      ['un_role', "case when organization_code = 'UN' and role_code in ('staff_officer', 'observer') then 'individual' end"],
                  ]) }}
