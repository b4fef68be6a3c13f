{#-
  materialized='partitioned': a table kept per (country_code, period) partition.

      {{ config(materialized='partitioned', partition_inputs='workforce',
                unique_key=['country_code', 'period', 'indicator_code', 'breakdown', 'breakdown_value']) }}
      select ... from {{ ref('fct_personnel_quarter') }} where {{ partition_filter() }}

  Every build recomputes exactly the partitions partitions_to_build() names (macros/partitions/
  partitions.sql) and leaves the others untouched; a whole build recomputes the table. Before anything
  replaces a row, the new rows must each belong to a partition being built and be unique on the
  model's grain (unique_key): a read that forgot its partition_filter() fails the build instead of
  duplicating rows. Data and ledger change in one transaction: a failed build leaves both as they were.
  Written against dbt's adapter interface only: DuckDB and PostgreSQL run the same implementation.
-#}
{% materialization partitioned, default %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set grain = config.require('unique_key') -%}
    {%- set grain = [grain] if grain is string else grain -%}
    {% if 'model.' ~ project_name ~ '.int_partition_inputs' not in model.depends_on.nodes %}
        {% do exceptions.raise_compiler_error(
            "model " ~ this.identifier ~ " is partitioned but never calls partition_filter(): "
            ~ "filter every read with it (macros/partitions/partitions.sql)") %}
    {% endif %}
    {%- set partitions = partitions_to_build() -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {% if partitions is none %}
        {#- a whole build, beside the table until it has passed its checks -#}
        {%- set intermediate_relation = make_intermediate_relation(target_relation) -%}
        {%- set backup_relation = make_backup_relation(target_relation, 'table') -%}
        {{ drop_relation_if_exists(load_cached_relation(intermediate_relation)) }}
        {{ drop_relation_if_exists(load_cached_relation(backup_relation)) }}
        {% call statement('main') %}
            {{ create_table_as(False, intermediate_relation, sql) }}
        {% endcall %}
        {% do check_partitioned_rows(intermediate_relation, partitions_with_inputs(), grain) %}
        {% if existing_relation is not none %}
            {% do adapter.rename_relation(existing_relation, backup_relation) %}
        {% endif %}
        {% do adapter.rename_relation(intermediate_relation, target_relation) %}
        {% do record_built_partitions(whole=true) %}
        {% set to_drop = backup_relation if existing_relation is not none else none %}
    {% else %}
        {% if partitions | length > 0 %}
            {#- a temporary table: its session's own, gone with it whatever happens -#}
            {%- set temp_relation = make_temp_relation(target_relation) -%}
            {% do run_query(create_table_as(True, temp_relation, sql)) %}
            {% do check_partitioned_rows(temp_relation, partitions, grain) %}
            {%- set columns = adapter.get_columns_in_relation(existing_relation) | map(attribute='quoted') | join(', ') -%}
            {% call statement('main') %}
                delete from {{ target_relation }} where {{ partition_filter(partitions=partitions) }};
                insert into {{ target_relation }} ({{ columns }}) select {{ columns }} from {{ temp_relation }};
                drop table {{ temp_relation }}
            {% endcall %}
        {% else %}
            {% call statement('main') %}
                select 'nothing to rebuild' as status
            {% endcall %}
        {% endif %}
        {% do record_built_partitions(whole=false) %}
        {% set to_drop = none %}
    {% endif %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {% do adapter.commit() %}
    {% if to_drop is not none %}
        {{ drop_relation_if_exists(to_drop) }}
    {% endif %}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {% do persist_docs(target_relation, model) %}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- Every partition this model has inputs for, as [country_code, period]. -#}
{% macro partitions_with_inputs() %}
    {% set query %}
        select country_code, period from {{ ref('int_partition_inputs') }}
        where {{ partition_inputs_column() }} is not null
        order by 1, 2
    {% endset %}
    {{ return(run_query(query).rows | map('list') | list) }}
{% endmacro %}


{#- The new rows must lie in the partitions being built, once each on the grain. -#}
{% macro check_partitioned_rows(relation, partitions, grain) %}
    {% set outside %}
        select country_code, period, count(*) from {{ relation }}
        where not ({{ partition_filter(partitions=partitions) }})
        group by country_code, period order by 1, 2 limit 5
    {% endset %}
    {% set rows = run_query(outside).rows %}
    {% if rows | length > 0 %}
        {% do exceptions.raise_compiler_error(
            "model " ~ this.identifier ~ " computed rows of partitions it is not building ("
            ~ rows | map('join', ' ') | join(', ')
            ~ "): filter every read of a partitioned model with partition_filter()") %}
    {% endif %}
    {% set duplicated %}
        select {{ grain | join(', ') }}, count(*) from {{ relation }}
        group by {{ grain | join(', ') }} having count(*) > 1 order by {{ grain | join(', ') }} limit 5
    {% endset %}
    {% set rows = run_query(duplicated).rows %}
    {% if rows | length > 0 %}
        {% do exceptions.raise_compiler_error(
            "model " ~ this.identifier ~ " computed more than one row for (" ~ grain | join(', ') ~ ") = "
            ~ rows | map('join', ' ') | join('; ') ~ " (last figure: how many): its grain must stay unique") %}
    {% endif %}
{% endmacro %}
