{#-
  Which (country_code, period) partitions of a `partitioned` model to build, and the filters its
  reads use. A model says which family of inputs it reads (config partition_inputs='x': the column
  x_fingerprint of int_partition_inputs) and filters every read with partition_filter(); nothing else.

  A partition is built when what it is built from differs from what the ledger
  (intermediate.partition_builds) recorded at its last build: its inputs' fingerprint (the accepted
  raw tables it reads) or the model's code fingerprint (its code, the macros, seeds, variables and
  upstream models it reads, and the pseudonymisation key: macros/partitions/fingerprints.sql).
  Partitions whose inputs disappeared are built too: to nothing, which deletes them.
-#}

{#- The partitions to build as a list of [country_code, period]; none means every partition: a first
    build, a full refresh, a changed code fingerprint (every partition is stale; the table is rebuilt
    whole, so a changed column set needs no migration), compilation, and unit tests (`this` is none).
    Resolved to literals before the model runs, so that its reads filter with constants the database
    prunes storage with. Body and materialization ask alike and get the same answer. -#}
{% macro partitions_to_build() %}
    {#- referenced unconditionally, so that dbt sees the dependency while parsing -#}
    {% set inputs = ref('int_partition_inputs') %}
    {% if not execute or this is none %}
        {{ return(none) }}
    {% endif %}
    {#- asked by every filter of the model: answered once per node (`model` is this node's own dict) -#}
    {% if '_partitions_to_build' in model %}
        {{ return(model['_partitions_to_build']) }}
    {% endif %}
    {% if partitioned_build_is_full() %}
        {% do model.update({'_partitions_to_build': none}) %}
        {{ return(none) }}
    {% endif %}
    {% set ledger = partition_ledger() %}
    {% set fingerprint = partition_inputs_column() %}
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
    {% set partitions = run_query(query).rows | map('list') | list %}
    {% do model.update({'_partitions_to_build': partitions}) %}
    {{ return(partitions) }}
{% endmacro %}


{#- A whole build: no table yet, --full-refresh, or no partition built by the current code. -#}
{% macro partitioned_build_is_full() %}
    {% set existing = load_cached_relation(this) %}
    {% if existing is none or not existing.is_table or should_full_refresh() %}
        {{ return(true) }}
    {% endif %}
    {% set code = code_fingerprint() %}
    {% set built %}
        select coalesce(sum(case when code_checksum = '{{ code }}' then 1 else 0 end), 0),
               coalesce(sum(case when code_checksum <> '{{ code }}' then 1 else 0 end), 0)
        from {{ partition_ledger() }}
        where model_name = '{{ this.identifier }}'
    {% endset %}
    {% set current, stale = run_query(built).rows[0] %}
    {{ return(current == 0 or stale > 0) }}
{% endmacro %}


{#- The column of int_partition_inputs this model's partitions are fingerprinted by. -#}
{% macro partition_inputs_column() %}
    {% set family = config.get('partition_inputs') %}
    {% if not family %}
        {% do exceptions.raise_compiler_error(
            "model " ~ this.identifier ~ " is partitioned but names no partition_inputs: config(partition_inputs='x') "
            ~ "with x_fingerprint a column of int_partition_inputs") %}
    {% endif %}
    {{ return(family ~ '_fingerprint') }}
{% endmacro %}


{#-
  A filter on (country_code, period) for the partitions being built, as constants. `lag` shifts the
  periods back (lag=1: the previous quarter of each, for reading snapshot(q-1)); `any_country`
  keeps only the periods (the regional rows read every country of their quarter); `partitions`
  filters on a given list instead (the materialization's own checks).
-#}
{% macro partition_filter(lag=0, any_country=false, country_column='country_code', period_column='period',
                          partitions='build') %}
    {%- set partitions = partitions_to_build() if partitions == 'build' else partitions -%}
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


{#- A filter on the countries of the partitions being built (for country-wide histories). -#}
{% macro country_filter(country_column='country_code') %}
    {%- set partitions = partitions_to_build() -%}
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
