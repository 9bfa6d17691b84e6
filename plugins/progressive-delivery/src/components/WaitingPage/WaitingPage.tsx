import { ReactNode, useState } from 'react';
import {
  Box,
  FormControlLabel,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Typography,
  makeStyles,
} from '@material-ui/core';
import {
  Content,
  ContentHeader,
  Header,
  Link,
  Page,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useRouteRef } from '@backstage/core-plugin-api';
import {
  entityRouteParams,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import {
  ACTION_LABELS,
  WaitingRelease,
  WaitingResponse,
  WaitingScope,
} from '@progressive-delivery/plugin-progressive-delivery-common';
import { useWaiting, WAITING_REFRESH_MS } from '../../hooks/useWaiting';
import { absoluteTime, relativeTime } from '../../utils/format';
import { Notice } from '../shared/Notice';
import { ToneStatus } from '../shared/StateStatus';

/**
 * Options of the "Waiting for you" page.
 *
 * @public
 */
export interface WaitingPageProps {
  /** Where the entity page mounts the Progressive Delivery tab; default `/progressive-delivery`. */
  tabPath?: string;
  /** How often the page reloads, in milliseconds; default 15 s. */
  refreshMs?: number;
}

const useStyles = makeStyles(theme => ({
  section: { marginBottom: theme.spacing(4) },
  cannotAct: { display: 'block', color: theme.palette.text.secondary },
  empty: { padding: theme.spacing(2, 0), color: theme.palette.text.secondary },
}));

interface SectionText {
  id: string;
  title: string;
  empty: (scope: WaitingScope) => string;
}

const SECTIONS: Array<{
  key: 'waiting' | 'failed' | 'inProgress';
  text: SectionText;
}> = [
  {
    key: 'waiting',
    text: {
      id: 'waiting-for-you',
      title: 'Waiting for your decision',
      empty: () =>
        'Nothing waits for you. A release shows up here when it stops at a gate this portal decides (start, traffic increase or promotion) and you may decide it; Flagger asks again at every analysis tick.',
    },
  },
  {
    key: 'failed',
    text: {
      id: 'failed-today',
      title: 'Failed in the last 24 hours',
      empty: () => 'No release failed or was rolled back in the last 24 hours.',
    },
  },
  {
    key: 'inProgress',
    text: {
      id: 'in-progress',
      title: 'In progress',
      empty: scope =>
        `No other release is moving right now${
          scope === 'owned' ? ' in the entities you own' : ''
        }. A new revision of a workload starts one.`,
    },
  },
];

function EntityLink(props: { row: WaitingRelease; tabPath: string }) {
  const entityRoute = useRouteRef(entityRouteRef);
  const { entity } = props.row;
  const to = `${entityRoute(entityRouteParams(entity.ref))}${props.tabPath}`;
  return (
    <Link
      to={to}
      aria-label={`${entity.title ?? entity.name} (${
        entity.ref
      }): open its Progressive Delivery tab`}
    >
      {entity.title ?? entity.name}
    </Link>
  );
}

function Since(props: { iso?: string }) {
  const relative = relativeTime(props.iso);
  if (!props.iso || !relative) return <>unknown</>;
  return (
    <time dateTime={props.iso} title={absoluteTime(props.iso)}>
      {relative}
    </time>
  );
}

function WhatYouMayDo(props: { row: WaitingRelease }) {
  const classes = useStyles();
  const { actions, cannotAct } = props.row;
  return (
    <>
      {actions.length > 0
        ? actions.map(action => ACTION_LABELS[action]).join(', ')
        : 'Nothing'}
      {cannotAct && (
        <Typography variant="caption" className={classes.cannotAct}>
          {cannotAct}
        </Typography>
      )}
    </>
  );
}

function ReleaseTable(props: {
  rows: WaitingRelease[];
  labelledBy: string;
  tabPath: string;
}) {
  return (
    <Table size="small" aria-labelledby={props.labelledBy}>
      <TableHead>
        <TableRow>
          <TableCell>Entity</TableCell>
          <TableCell>Cluster</TableCell>
          <TableCell>Canary</TableCell>
          <TableCell>State</TableCell>
          <TableCell>Since</TableCell>
          <TableCell>You may</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {props.rows.map(row => (
          <TableRow
            key={`${row.entity.ref}|${row.canary.cluster}/${row.canary.namespace}/${row.canary.name}`}
          >
            <TableCell>
              <EntityLink row={row} tabPath={props.tabPath} />
            </TableCell>
            <TableCell>{row.canary.cluster}</TableCell>
            <TableCell>
              {row.canary.namespace}/{row.canary.name}
            </TableCell>
            <TableCell>
              <ToneStatus tone={row.state.tone}>
                {row.state.headline}
              </ToneStatus>
              {!row.fresh && (
                <Typography variant="caption" display="block">
                  Cluster unreachable: last known state
                </Typography>
              )}
            </TableCell>
            <TableCell>
              <Since iso={row.since} />
            </TableCell>
            <TableCell>
              <WhatYouMayDo row={row} />
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function Sections(props: { value: WaitingResponse; tabPath: string }) {
  const classes = useStyles();
  const { value, tabPath } = props;
  if (value.entityCount === 0) {
    return (
      <Notice
        severity="info"
        title={
          value.scope === 'owned'
            ? 'You own no entity with Progressive Delivery annotations'
            : 'No entity you may read has Progressive Delivery annotations'
        }
      >
        {value.scope === 'owned'
          ? 'Turn on "Show everything I may read" to see the releases of every entity, or ask for the entities of your team to carry progressive-delivery/workload-name (or progressive-delivery/canaries) and spec.owner set to you or your team.'
          : "Add progressive-delivery/workload-name or progressive-delivery/canaries to an entity's catalog-info.yaml to connect it to its Flagger canaries."}
      </Notice>
    );
  }
  return (
    <>
      {SECTIONS.map(({ key, text }) => {
        const rows = value[key];
        return (
          <section
            key={key}
            className={classes.section}
            aria-labelledby={text.id}
          >
            <Typography variant="h5" component="h3" id={text.id}>
              {text.title} ({rows.length})
            </Typography>
            {rows.length > 0 ? (
              <ReleaseTable
                rows={rows}
                labelledBy={text.id}
                tabPath={tabPath}
              />
            ) : (
              <Typography className={classes.empty}>
                {text.empty(value.scope)}
              </Typography>
            )}
          </section>
        );
      })}
    </>
  );
}

function UnreachableClusters(props: { value: WaitingResponse }) {
  const down = props.value.clusters.filter(c => c.status === 'error');
  if (down.length === 0) return null;
  return (
    <Box mb={2}>
      <Notice
        severity="warning"
        title={`Cluster${down.length > 1 ? 's' : ''} ${down
          .map(c => c.title ?? c.name)
          .join(', ')} unreachable`}
      >
        Their releases are shown as last seen and may have moved on.
      </Notice>
    </Box>
  );
}

/**
 * The body of the "Waiting for you" page: the switch, the sections and their empty states.
 * The new frontend system's page header comes from the app, the legacy one from
 * {@link WaitingPage}.
 */
export function WaitingPageContent(props: WaitingPageProps) {
  const { tabPath = '/progressive-delivery', refreshMs = WAITING_REFRESH_MS } =
    props;
  const [scope, setScope] = useState<WaitingScope>('owned');
  const { value, error, refreshError, loading, updatedAt } = useWaiting(
    scope,
    refreshMs,
  );

  let body: ReactNode;
  if (error)
    body = (
      <ResponseErrorPanel
        error={error}
        title="Could not load what waits for you"
      />
    );
  else if (!value) body = <Progress />;
  else
    body = (
      <>
        <UnreachableClusters value={value} />
        {refreshError && (
          <Box mb={2}>
            <Notice severity="warning" title="Could not refresh">
              {refreshError.message} The list below is from{' '}
              {updatedAt ? updatedAt.toLocaleTimeString() : 'earlier'}; the page
              tries again every {Math.round(refreshMs / 1000)} seconds.
            </Notice>
          </Box>
        )}
        <Sections value={value} tabPath={tabPath} />
      </>
    );

  return (
    <Content>
      <ContentHeader
        title={
          scope === 'owned'
            ? 'Releases of the entities you own'
            : 'Releases of every entity you may read'
        }
      >
        <Typography variant="body2" color="textSecondary" aria-live="polite">
          {loading && value
            ? 'Refreshing…'
            : `Refreshes every ${Math.round(refreshMs / 1000)} seconds`}
        </Typography>
        <FormControlLabel
          control={
            <Switch
              checked={scope === 'readable'}
              onChange={(_, checked) =>
                setScope(checked ? 'readable' : 'owned')
              }
              color="primary"
            />
          }
          label="Show everything I may read"
        />
      </ContentHeader>
      {body}
    </Content>
  );
}

/**
 * The "Waiting for you" page for the legacy frontend system, with its own header.
 *
 * @public
 */
export function WaitingPage(props: WaitingPageProps) {
  return (
    <Page themeId="tool">
      <Header
        title="Waiting for you"
        subtitle="Releases that wait for your decision, failed in the last day, or are in progress"
      />
      <WaitingPageContent {...props} />
    </Page>
  );
}
