{#-
  The ledger intermediate.partition_builds: per partitioned model and partition, the inputs'
  fingerprint and the code fingerprint it was last built from, and when. Written by the
  `partitioned` materialization in the transaction of the data it describes. checked_by: the
  fingerprint of the model's partition-scoped rules that last passed on the partition's rows (NULL
  until they have; a rebuilt partition starts again at NULL): macros/tests/rules.sql.
-#}

{% macro partition_ledger() -%}
    {{ return(api.Relation.create(database=target.database, schema='intermediate', identifier='partition_builds')) }}
{%- endmacro %}


{% macro create_partition_ledger() %}
    {% set ledger = partition_ledger() %}
    {% do adapter.create_schema(ledger) %}
    create table if not exists {{ ledger }} (
        model_name {{ dbt.type_string() }} not null,
        country_code {{ dbt.type_string() }} not null,
        period {{ dbt.type_string() }} not null,
        inputs_fingerprint {{ dbt.type_string() }} not null,
        code_checksum {{ dbt.type_string() }} not null,
        built_at {{ dbt.type_timestamp() }} not null,
        checked_by {{ dbt.type_string() }}
    );
    {#- a ledger made before the rules were partition-scoped: its partitions count as never checked -#}
    alter table {{ ledger }} add column if not exists checked_by {{ dbt.type_string() }}
{% endmacro %}


{#- After a build every partition of the model reflects its current inputs: forget the entries that
    changed or whose partition is gone, record the new ones (built_at: when each was last rebuilt).
    A whole build forgets every entry of the model. -#}
{% macro record_built_partitions(whole) %}
    {% set ledger = partition_ledger() %}
    {% set inputs = ref('int_partition_inputs') %}
    {% set fingerprint = partition_inputs_column() %}
    {% set code = code_fingerprint() %}
    {% call statement('record_built_partitions') %}
        delete from {{ ledger }}
        where model_name = '{{ this.identifier }}'
        {%- if not whole %}
          and not exists (
              select 1 from {{ inputs }} as i
              where i.country_code = {{ ledger.identifier }}.country_code
                and i.period = {{ ledger.identifier }}.period
                and i.{{ fingerprint }} = {{ ledger.identifier }}.inputs_fingerprint
          )
        {%- endif %};
        insert into {{ ledger }} (model_name, country_code, period, inputs_fingerprint, code_checksum, built_at)
        select '{{ this.identifier }}', i.country_code, i.period, i.{{ fingerprint }}, '{{ code }}',
               {{ dbt.current_timestamp() }}
        from {{ inputs }} as i
        where i.{{ fingerprint }} is not null
          and not exists (
              select 1 from {{ ledger }} as l
              where l.model_name = '{{ this.identifier }}' and l.country_code = i.country_code and l.period = i.period
          )
    {% endcall %}
{% endmacro %}
