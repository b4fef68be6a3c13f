-- Women among the distinct persons with a deployment overlapping q; un_role counts UN deployments
-- by role, plus `individual` (staff officers and observers together, as the UN parity target does).
-- Grain: (country_code, period, indicator_code, breakdown, breakdown_value).
-- depends_on: {{ ref('int_partition_inputs') }}
{{ config(**partitioned_incremental('deployment_indicators_fingerprint')) }}
{%- set partitions = partitions_to_build('deployment_indicators_fingerprint') %}

with reported as (

    {{ reported_partitions(partitions, requires=['deployments_id']) }}

),

deployments as (

    select * from {{ ref('fct_deployments') }}
    where {{ partition_filter(partitions) }}

)

{{ indicator_rows('WSHARE_DEPLOYED', 'deployments', 'reported', '1 = 1', "sex_code = 'F'", distinct='person_key',
                  breakdowns=[
                      ['organization', 'organization_code'],
                      ['role', 'role_code'],
                      ['un_role', "case when organization_code = 'UN' then role_code end"],
                      ['un_role', "case when organization_code = 'UN' and role_code in ('staff_officer', 'observer') then 'individual' end"],
                  ]) }}
