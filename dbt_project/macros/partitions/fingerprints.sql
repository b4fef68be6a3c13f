{#-
  What a partitioned model's rows are computed from, beside the raw data: its code fingerprint.
  An md5 over the model's own code, the project macros it calls (and those they call), the project
  variables any of that code names, and the same of every model and seed upstream of it (a seed by
  its file's checksum), plus the pseudonymisation key's fingerprint (meta.pseudonym_key: the person
  keys of the raw tables are made with it) and dbt's version (its built-in macros). Editing any of
  them changes the fingerprint of exactly the models that read it, directly or through another model.

  Variables: dbt does not record which variables a model reads, so every quoted name in the code
  (`var('uniformed_categories')`, `sql_list('uniformed_categories')`) that is a defined variable
  counts: a name too many costs a rebuild, never a stale partition.
-#}
{% macro code_fingerprint() %}
    {% if '_code_fingerprint' not in model %}
        {% set parts = ['dbt ' ~ dbt_version, 'key ' ~ pseudonym_key_fingerprint()] %}
        {% do parts.extend(node_code_parts(model.unique_id, [])) %}
        {% do model.update({'_code_fingerprint': local_md5(parts | join('\n'))}) %}
    {% endif %}
    {{ return(model['_code_fingerprint']) }}
{% endmacro %}


{#- The parts of one node and everything upstream of it (`seen`: nodes already counted). -#}
{% macro node_code_parts(unique_id, seen) %}
    {% if unique_id in seen or unique_id not in graph.nodes %}
        {{ return([]) }}  {#- a source: its data is fingerprinted per partition, not here -#}
    {% endif %}
    {% do seen.append(unique_id) %}
    {% set node = graph.nodes[unique_id] %}
    {% set parts = [unique_id ~ ' ' ~ node.checksum.checksum] %}
    {% set texts = [node.raw_code or ''] %}
    {% set macros = [] %}
    {% set pending = (node.depends_on.macros or []) | list %}
    {% if node.config.materialized == 'partitioned' %}
        {% do pending.append('macro.' ~ project_name ~ '.materialization_partitioned_default') %}
    {% endif %}
    {% for _ in range(1000) if pending %}
        {% set macro_id = pending.pop() %}
        {% set package, name = macro_id.split('.')[1:] %}
        {% if package == project_name and macro_id not in macros %}
            {% do macros.append(macro_id) %}
            {% set macro = project_macros()[name].macro %}
            {% do parts.append(macro_id ~ ' ' ~ local_md5(macro.macro_sql)) %}
            {% do texts.append(macro.macro_sql) %}
            {% do pending.extend(macro.depends_on.macros) %}
        {% endif %}
    {% endfor %}
    {% set names = [] %}
    {% for text in texts %}
        {% for name in modules.re.findall("['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]", text) if name not in names %}
            {% do names.append(name) %}
        {% endfor %}
    {% endfor %}
    {% for name in names | sort %}
        {% set value = var(name, '__not_a_variable__') %}
        {% if value != '__not_a_variable__' %}
            {% do parts.append('var ' ~ name ~ '=' ~ tojson(value)) %}
        {% endif %}
    {% endfor %}
    {% for parent in node.depends_on.nodes %}
        {% do parts.extend(node_code_parts(parent, seen)) %}
    {% endfor %}
    {{ return(parts) }}
{% endmacro %}


{#- This project's macros by name (dbt exposes each package's macros under the package's name). -#}
{% macro project_macros() %}
    {{ return(parity) }}
{% endmacro %}


{#- The fingerprint of the key the raw tables' person keys were made with; '-' before there is one. -#}
{% macro pseudonym_key_fingerprint() %}
    {% set relation = adapter.get_relation(database=target.database, schema='meta', identifier='pseudonym_key') %}
    {% if relation is none %}
        {{ return('-') }}
    {% endif %}
    {% set rows = run_query('select fingerprint from ' ~ relation ~ ' order by 1').rows %}
    {{ return(rows | map(attribute=0) | join(',') or '-') }}
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
