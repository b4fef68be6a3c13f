{#-
  Partitioned incremental models: each (country_code, period) partition of a model is rebuilt when
  the fingerprint of what it reads changes, and only then.

  int_partition_inputs gives, for every partition, one fingerprint column per family of models
  (the submission_table_ids of the accepted tables the family reads). The ledger
  intermediate.partition_builds remembers, per model and partition, the fingerprint (and the
  model's code checksum) it was last built from. A build deletes and recomputes exactly the
  partitions whose fingerprint differs, and rewrites the ledger in the same transaction as the data
  (dbt runs inside-transaction hooks between BEGIN and COMMIT), so a failed build leaves both as
  they were. Arrival order cannot matter: what is built is always a function of the current inputs.
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
        built_at {{ dbt.type_timestamp() }} not null
    )
{% endmacro %}


{#- The config every partitioned model starts with: {{ config(**partitioned_incremental('x_fingerprint')) }} -#}
{% macro partitioned_incremental(fingerprint) %}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'append',
        'on_schema_change': 'fail',
        'pre_hook': "{{ delete_partitions_to_build('" ~ fingerprint ~ "') }}",
        'post_hook': "{{ record_built_partitions('" ~ fingerprint ~ "') }}",
    }) }}
{% endmacro %}


{#-
  The partitions to build, as a list of [country_code, period]; none means "all of them" (first
  build, full refresh, compilation; and unit tests, which have no target relation: `this` is none).
  Resolved to literals before the model runs, so the model can filter its reads with constants that
  the database prunes storage with. The model's body and its pre-hook are rendered apart, so each
  asks once: two small queries on the registry and the ledger, before anything changes.
-#}
{% macro partitions_to_build(fingerprint) %}
    {% if not execute or this is none or not is_incremental() %}
        {{ return(none) }}
    {% endif %}
    {% set ledger = partition_ledger() %}
    {% set inputs = ref('int_partition_inputs') %}
    {% set query %}
        select i.country_code, i.period
        from {{ inputs }} as i
        where i.{{ fingerprint }} is not null
          and not exists (
              select 1 from {{ ledger }} as l
              where l.model_name = '{{ this.identifier }}'
                and l.country_code = i.country_code
                and l.period = i.period
                and l.inputs_fingerprint = i.{{ fingerprint }}
                and l.code_checksum = '{{ model.checksum.checksum }}'
          )
        union
        select l.country_code, l.period
        from {{ ledger }} as l
        where l.model_name = '{{ this.identifier }}'
          and not exists (
              select 1 from {{ inputs }} as i
              where i.country_code = l.country_code and i.period = l.period and i.{{ fingerprint }} is not null
          )
        order by 1, 2
    {% endset %}
    {{ return(run_query(query).rows | map('list') | list) }}
{% endmacro %}


{#-
  A filter on (country_code, period) for the partitions to build, as constants. `lag` shifts the
  periods back (lag=1: the previous quarter of each, for reading snapshot(q-1)); `any_country`
  keeps only the periods (the regional rows read every country of their quarter).
-#}
{% macro partition_filter(partitions, lag=0, any_country=false, country_column='country_code', period_column='period') %}
    {%- if partitions is none -%}
        1 = 1
    {%- elif partitions | length == 0 -%}
        1 = 0
    {%- else -%}
        {%- set by_country = {} -%}
        {%- for country, period in partitions -%}
            {%- set key = '*' if any_country else country -%}
            {%- do by_country.setdefault(key, []) -%}
            {%- set shifted = shift_period(period, -lag) -%}
            {%- if shifted not in by_country[key] -%}{%- do by_country[key].append(shifted) -%}{%- endif -%}
        {%- endfor -%}
        (
        {%- for country, periods in by_country.items() %}
            {% if not loop.first %}or {% endif -%}
            ({% if country != '*' %}{{ country_column }} = '{{ country }}' and {% endif -%}
             {{ period_column }} in ('{{ periods | sort | join("', '") }}'))
        {%- endfor %}
        )
    {%- endif -%}
{% endmacro %}


{#- A filter on the countries of the partitions to build (for country-wide histories). -#}
{% macro country_filter(partitions, country_column='country_code') %}
    {%- if partitions is none -%}
        1 = 1
    {%- elif partitions | length == 0 -%}
        1 = 0
    {%- else -%}
        {{ country_column }} in ('{{ partitions | map(attribute=0) | unique | sort | join("', '") }}')
    {%- endif -%}
{% endmacro %}


{#- '2024Q1' shifted by -1 is '2023Q4'. Jinja only: used while compiling the filters above. -#}
{% macro shift_period(period, quarters) %}
    {%- set index = (period[:4] | int) * 4 + (period[5:] | int) - 1 + quarters -%}
    {{- return((index // 4) ~ 'Q' ~ (index % 4 + 1)) -}}
{% endmacro %}


{% macro delete_partitions_to_build(fingerprint) %}
    {% set partitions = partitions_to_build(fingerprint) %}
    {% if partitions %}
        delete from {{ this }} where {{ partition_filter(partitions) }}
    {% endif %}
{% endmacro %}


{#- After a successful build every partition of the model reflects its current inputs: forget what
    changed, record what is new (built_at tells when each partition was last rebuilt). -#}
{% macro record_built_partitions(fingerprint) %}
    {% set ledger = partition_ledger() %}
    {% set inputs = ref('int_partition_inputs') %}
    delete from {{ ledger }}
    where model_name = '{{ this.identifier }}'
      and not exists (
          select 1 from {{ inputs }} as i
          where i.country_code = {{ ledger.identifier }}.country_code
            and i.period = {{ ledger.identifier }}.period
            and i.{{ fingerprint }} = {{ ledger.identifier }}.inputs_fingerprint
            and {{ ledger.identifier }}.code_checksum = '{{ model.checksum.checksum }}'
      );
    insert into {{ ledger }} (model_name, country_code, period, inputs_fingerprint, code_checksum, built_at)
    select '{{ this.identifier }}', i.country_code, i.period, i.{{ fingerprint }}, '{{ model.checksum.checksum }}',
           {{ dbt.current_timestamp() }}
    from {{ inputs }} as i
    where i.{{ fingerprint }} is not null
      and not exists (
          select 1 from {{ ledger }} as l
          where l.model_name = '{{ this.identifier }}' and l.country_code = i.country_code and l.period = i.period
      )
{% endmacro %}


{#- One part of a fingerprint: an id as text, '-' where absent, so that presence counts too. -#}
{% macro fingerprint_part(column) -%}
    coalesce(cast({{ column }} as {{ dbt.type_string() }}), '-')
{%- endmacro %}


{#- A fingerprint of several ids, labelled so that ('1', '-') and ('-', '1') differ; NULL unless `when` holds. -#}
{% macro fingerprint(parts, when='1 = 1') -%}
    {%- set pieces = [] -%}
    {%- for label, column in parts.items() -%}
        {%- do pieces.extend(["'" ~ label ~ "='", fingerprint_part(column), "';'"]) -%}
    {%- endfor -%}
    case when {{ when }} then {{ dbt.concat(pieces) }} end
{%- endmacro %}
