-- What every (country, quarter) partition is built from: the registry ids of the accepted tables it
-- reads, combined into one fingerprint per family of models. A fingerprint is NULL where the family
-- has nothing to build; it changes whenever a table the family reads is accepted in a new version
-- (or reported for the first time). A region's rows (WB4) fingerprint its quarter: the indicator
-- inputs of its member countries (seed region_members). A partitioned model names its family with
-- config(partition_inputs=...): see macros/partitions/materialization.sql.
--
-- A table, built at the start of every build: each partitioned model reads it three times (which
-- partitions to build, then its ledger), and as a view each read recomputed every fingerprint from the
-- registry (about 2 s of a new quarter's build). A build that selects models without it (dbt by hand,
-- `--select`) reads the fingerprints of the last whole build: it may skip or repeat a partition, which
-- the next whole build, such as every load's, then rebuilds.
{{ config(materialized='table') }}

with current_tables as (

    select country_code, period, table_name, submission_table_id
    from {{ source('meta', 'current_tables') }}

),

by_partition as (

    select
        country_code,
        period,
        {% for table in ['personnel', 'recruitment', 'separations', 'deployments', 'trainings', 'complaints'] -%}
        max(case when table_name = '{{ table }}' then submission_table_id end) as {{ table }}_id,
        {% endfor -%}
        {{ period_index('period') }} as period_index
    from current_tables
    group by country_code, period

),

with_history as (

    select
        p.*,
        previous.personnel_id as previous_personnel_id,
        -- cumulative training indicators read the trainings of every quarter up to this one
        (
            select {{ dbt.listagg(fingerprint_part('earlier.trainings_id'), "','", 'order by earlier.period_index') }}
            from by_partition as earlier
            where
                earlier.country_code = p.country_code
                and earlier.period_index <= p.period_index
                and earlier.trainings_id is not null
        ) as trainings_history
    from by_partition as p
    left join by_partition as previous
        on
            previous.country_code = p.country_code
            and previous.period_index = p.period_index - 1

),

countries as (

    select
        country_code,
        period,
        period_index,
        {%- for table in ['personnel', 'previous_personnel', 'recruitment', 'separations', 'deployments',
                          'trainings', 'complaints'] %}
        {{ table }}_id,
        {%- endfor %}
        -- facts: their own table
        {{ fingerprint({'p': 'personnel_id', 'q-1': 'previous_personnel_id'}, 'personnel_id is not null') }}
            as person_history_fingerprint,
        {{ fingerprint({'r': 'recruitment_id'}, 'recruitment_id is not null') }} as recruitment_fingerprint,
        {{ fingerprint({'s': 'separations_id'}, 'separations_id is not null') }} as separations_fingerprint,
        {{ fingerprint({'d': 'deployments_id'}, 'deployments_id is not null') }} as deployments_fingerprint,
        {{ fingerprint({'t': 'trainings_id'}, 'trainings_id is not null') }} as trainings_fingerprint,
        {{ fingerprint({'c': 'complaints_id'}, 'complaints_id is not null') }} as complaints_fingerprint,
        -- indicator families: nothing before the quarter's personnel is accepted
        {{ fingerprint({'p': 'personnel_id'}, 'personnel_id is not null') }} as workforce_fingerprint,
        {{ fingerprint({'p': 'personnel_id', 'r': 'recruitment_id'}, 'personnel_id is not null') }}
            as recruitment_indicators_fingerprint,
        {{ fingerprint({'p': 'personnel_id', 'q-1': 'previous_personnel_id', 's': 'separations_id'},
                       'personnel_id is not null') }} as turnover_fingerprint,
        {{ fingerprint({'p': 'personnel_id', 'd': 'deployments_id'}, 'personnel_id is not null') }}
            as deployment_indicators_fingerprint,
        {{ fingerprint({'p': 'personnel_id', 't': 'trainings_id', 'h': 'trainings_history'}, 'personnel_id is not null') }}
            as training_indicators_fingerprint,
        {{ fingerprint({'p': 'personnel_id', 'c': 'complaints_id'}, 'personnel_id is not null') }}
            as complaint_indicators_fingerprint,
        {{ fingerprint({'p': 'personnel_id', 'q-1': 'previous_personnel_id', 'r': 'recruitment_id',
                        's': 'separations_id', 'd': 'deployments_id', 't': 'trainings_id', 'h': 'trainings_history',
                        'c': 'complaints_id'}, 'personnel_id is not null') }} as indicators_fingerprint
    from with_history

),

regional as (

    -- a region's quarter reads the indicator partitions of its member countries
    select
        m.region_code as country_code,
        c.period,
        min(c.period_index) as period_index,
        {%- for table in ['personnel', 'previous_personnel', 'recruitment', 'separations', 'deployments',
                          'trainings', 'complaints'] %}
        cast(null as {{ dbt.type_bigint() }}) as {{ table }}_id,
        {%- endfor %}
        {%- for family in ['person_history', 'recruitment', 'separations', 'deployments', 'trainings', 'complaints',
                           'workforce', 'recruitment_indicators', 'turnover', 'deployment_indicators',
                           'training_indicators', 'complaint_indicators'] %}
        cast(null as {{ dbt.type_string() }}) as {{ family }}_fingerprint,
        {%- endfor %}
        {{ dbt.listagg(dbt.concat(['c.country_code', "':'", 'c.indicators_fingerprint']), "' '", 'order by c.country_code') }}
            as indicators_fingerprint
    from countries as c
    inner join {{ ref('region_members') }} as m on m.country_code = c.country_code
    where c.indicators_fingerprint is not null
    group by m.region_code, c.period

),

partitions as (

    select * from countries
    union all
    select * from regional

)

select * from partitions
