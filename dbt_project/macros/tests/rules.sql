{#- A model's (or seed's) row rules in one dbt test: one node and one asset check per model instead of
    one per rule and column, since each node costs dbt and Dagster the same whatever its query.
      unique:          keys, each a list of columns, that no two rows share (a key's NULLs count as a value)
      not_null:        the columns that must hold a value (counted in one scan)
      accepted_values: {column: [values]}, the values a column may hold (NULL is left to not_null)
      relationships:   {column: {to: ref or source, field: column}}, the parent each value must have
                       (NULL is left to not_null, as dbt's relationships leaves it)
    A failing row names the rule, the column (or the key's columns), the value found and how many rows
    hold it; dbt counts the failing rows.

    On a partitioned model, the rules whose scope is a partition (not_null, accepted_values, and the
    unique keys that hold country_code and period) read only the partitions they have not passed on
    yet, named as constants so that the database skips the others' storage (the partitioned
    materialization keeps a table's rows within its ledger's partitions). The ledger's checked_by
    (macros/partitions/ledger.sql) names the rules that last passed on a partition: set after the
    build by record_checked_partitions() for the tests that passed, cleared when the partition is
    rebuilt. A failed or skipped test marks nothing, so the next build reads the same rows again;
    changed rules (or these macros) have another fingerprint and read every partition. The other
    keys and the relationships read the whole table, every time. -#}
{% test rules(model, unique=[], not_null=[], accepted_values={}, relationships={}) %}
{%- set scope = rules_partition_scope(partitioned_node_of(model), unique, not_null, accepted_values) -%}
{%- set unchecked = 'unchecked_rows' if scope else model -%}
{%- set parts = [] -%}
{%- for key in unique -%}
    {%- set columns = [key] if key is string else key -%}
    {%- set casts = [] -%}
    {%- for column in columns %}{% do casts.append("cast(" ~ column ~ " as varchar)") %}{% endfor -%}
    {%- do parts.append(
        "select 'unique' as rule, '" ~ columns | join(', ') ~ "' as column_name, "
        ~ "concat_ws(' ', " ~ casts | join(', ') ~ ") as value_found, "
        ~ "count(*) as failing_rows from " ~ (unchecked if scope and key in scope.unique else model)
        ~ " group by " ~ columns | join(', ') ~ " having count(*) > 1") -%}
{%- endfor -%}
{%- for column in not_null -%}
    {%- do parts.append(
        "select 'not_null' as rule, '" ~ column ~ "' as column_name, cast(null as varchar) as value_found, "
        ~ column ~ " as failing_rows from null_counts where " ~ column ~ " > 0") -%}
{%- endfor -%}
{%- for column, values in accepted_values.items() -%}
    {%- do parts.append(
        "select 'accepted_values' as rule, '" ~ column ~ "' as column_name, cast(" ~ column ~ " as varchar) as value_found, "
        ~ "count(*) as failing_rows from " ~ unchecked ~ " where " ~ column ~ " not in ('" ~ values | join("', '") ~ "') "
        ~ "group by " ~ column) -%}
{%- endfor -%}
{%- for column, parent in relationships.items() -%}
    {%- do parts.append(
        "select 'relationships' as rule, '" ~ column ~ "' as column_name, cast(child." ~ column ~ " as varchar) as value_found, "
        ~ "count(*) as failing_rows from " ~ model ~ " as child left join " ~ parent.to ~ " as parent on child."
        ~ column ~ " = parent." ~ parent.field ~ " where child." ~ column ~ " is not null and parent." ~ parent.field
        ~ " is null group by child." ~ column) -%}
{%- endfor -%}
{%- if not parts -%}
    {% do exceptions.raise_compiler_error("test rules on " ~ model ~ " names no rule") %}
{%- endif -%}
{%- set ctes = [] -%}
{%- if scope -%}
    {%- do ctes.append("unchecked_rows as (\n    select * from " ~ model ~ "\n    where "
                       ~ partition_filter(partitions=unchecked_partitions(scope)) ~ "\n)") -%}
{%- endif -%}
{%- if not_null -%}
    {%- set counts = [] -%}
    {%- for column in not_null -%}
        {%- do counts.append("count(*) filter (where " ~ column ~ " is null) as " ~ column) -%}
    {%- endfor -%}
    {%- do ctes.append("null_counts as (\n    select\n        " ~ counts | join(",\n        ") ~ "\n    from " ~ unchecked ~ "\n)") -%}
{%- endif %}
{% if ctes %}with {{ ctes | join(",\n") }}{% endif %}
{{ parts | join("\nunion all\n") }}
{% endtest %}


{#- The model node of a relation a test reads, if that model is partitioned; none otherwise (a seed,
    another materialization, or a test's `where` subquery); none while dbt parses. -#}
{% macro partitioned_node_of(relation) %}
    {% if not execute %}
        {{ return(none) }}  {#- parsing: no graph yet -#}
    {% endif %}
    {% for node in graph.nodes.values()
           if node.resource_type == 'model' and node.config.materialized == 'partitioned'
              and (node.alias or node.name) == relation.identifier and node.schema == relation.schema %}
        {{ return(node) }}
    {% endfor %}
    {{ return(none) }}
{% endmacro %}


{#- What of a rules test on a partitioned model `node` is partition-scoped: {model_name, unique: the
    keys holding country_code and period, fingerprint: of those rules and the code that reads them};
    none when nothing is (or the model is not partitioned). -#}
{% macro rules_partition_scope(node, unique, not_null, accepted_values) %}
    {% if node is none %}
        {{ return(none) }}
    {% endif %}
    {% set keys = [] %}
    {% for key in unique %}
        {% set columns = [key] if key is string else key %}
        {% if 'country_code' in columns and 'period' in columns %}
            {% do keys.append(key) %}
        {% endif %}
    {% endfor %}
    {% if not (keys or not_null or accepted_values) %}
        {{ return(none) }}
    {% endif %}
    {% set rules = tojson({'unique': keys, 'not_null': not_null, 'accepted_values': accepted_values}, sort_keys=true) %}
    {% set code = [] %}
    {% for name in ['test_rules', 'rules_partition_scope', 'partitioned_node_of', 'unchecked_partitions'] %}
        {% do code.append(project_macros()[name].macro.macro_sql) %}
    {% endfor %}
    {{ return({'model_name': node.alias or node.name, 'unique': keys,
               'fingerprint': local_md5(rules ~ '\n' ~ code | join('\n'))}) }}
{% endmacro %}


{#- The partitions of a partitioned model that its partition-scoped rules have not passed on, as
    [country_code, period]; none (every partition) without a ledger: a command that compiles the tests
    without running the project's hooks (`dbt docs generate`, `dbt compile`) on a warehouse never built. -#}
{% macro unchecked_partitions(scope) %}
    {% if load_relation(partition_ledger()) is none %}
        {{ return(none) }}
    {% endif %}
    {% set query %}
        select country_code, period from {{ partition_ledger() }}
        where model_name = '{{ scope.model_name }}'
          and (checked_by is null or checked_by <> '{{ scope.fingerprint }}')
        order by 1, 2
    {% endset %}
    {{ return(run_query(query).rows | map('list') | list) }}
{% endmacro %}


{#- on-run-end: the partitions each passed partition-scoped rules test read are checked by its rules.
    A test passes only when every row it read passed, and nothing rebuilds a model between its tests
    and the end of the run, so every partition of the model that was unchecked is checked now. -#}
{% macro record_checked_partitions(results) %}
    {% set statements = [] %}
    {% for result in results if execute and result.status == 'pass' and result.node.resource_type == 'test'
                               and result.node.test_metadata and result.node.test_metadata.name == 'rules' %}
        {% set arguments = result.node.test_metadata.kwargs %}
        {% set scope = rules_partition_scope(graph.nodes.get(result.node.attached_node), arguments.get('unique', []),
                                             arguments.get('not_null', []), arguments.get('accepted_values', {})) %}
        {% if scope %}
            {% do statements.append(
                "update " ~ partition_ledger() ~ " set checked_by = '" ~ scope.fingerprint ~ "' where model_name = '"
                ~ scope.model_name ~ "' and (checked_by is null or checked_by <> '" ~ scope.fingerprint ~ "')") %}
        {% endif %}
    {% endfor %}
    {{ return(statements | join(';\n') if statements else 'select 1 as nothing_checked') }}
{% endmacro %}
