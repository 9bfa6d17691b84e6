type Obj = Record<string, any>;

/** Escapes a value for use inside a double-quoted PromQL string (and so inside its regex). */
export function escapeLabelValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

/** Flagger's MetricTemplateModel: the values its query templates can use. */
export interface TemplateModel {
  name: string;
  namespace: string;
  target: string;
  service: string;
  ingress: string;
  route: string;
  interval: string;
  variables: Record<string, string>;
}

/** `toMetricModel()` of Flagger's scheduler: service, ingress and route default to the target name. */
export function templateModel(
  canary: Obj,
  interval: string,
  variables: Record<string, string> = {},
): TemplateModel {
  const target = canary.spec?.targetRef?.name ?? '';
  return {
    name: canary.metadata?.name ?? '',
    namespace: canary.metadata?.namespace ?? '',
    target,
    service: canary.spec?.service?.name || target,
    ingress: canary.spec?.ingressRef?.name || target,
    route: canary.spec?.routeRef?.name || target,
    interval,
    variables: Object.fromEntries(
      Object.entries(variables ?? {}).filter(
        ([, value]) => typeof value === 'string',
      ),
    ) as Record<string, string>,
  };
}

/**
 * Renders a Flagger query template: `{{ namespace }}`, `{{ target }}`, `{{ variables.x }}` and
 * the other model functions. Every value is escaped so that a hostile value (a template
 * variable, say) cannot end the PromQL string it sits in. Like Flagger (`missingkey=error`),
 * an unknown name is an error; other Go-template syntax is not supported and says so.
 */
export function renderQuery(template: string, model: TemplateModel): string {
  const rendered = template.replace(
    /\{\{-?\s*([a-zA-Z]+)(?:\.([A-Za-z0-9_-]+))?\s*-?\}\}/g,
    (_whole, field: string, key: string | undefined) => {
      if (field === 'variables') {
        if (
          key === undefined ||
          !Object.prototype.hasOwnProperty.call(model.variables, key)
        ) {
          throw new Error(
            `template variable "${
              key ?? ''
            }" is not set in the canary's templateVariables`,
          );
        }
        return escapeLabelValue(model.variables[key]);
      }
      if (
        key !== undefined ||
        ![
          'name',
          'namespace',
          'target',
          'service',
          'ingress',
          'route',
          'interval',
        ].includes(field)
      ) {
        throw new Error(
          `unknown template function "${field}${key ? `.${key}` : ''}"`,
        );
      }
      return escapeLabelValue(
        String(model[field as keyof Omit<TemplateModel, 'variables'>]),
      );
    },
  );
  if (/\{\{|\}\}/.test(rendered)) {
    throw new Error(
      'the query uses Go template syntax this plugin does not evaluate (only {{ name }}-style values)',
    );
  }
  // Flagger collapses runs of whitespace before sending the query.
  return rendered.replace(/\s+/g, ' ').trim();
}
