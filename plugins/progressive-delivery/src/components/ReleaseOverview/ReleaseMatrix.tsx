import { MouseEvent } from 'react';
import { Box, Link, Paper, Typography, makeStyles } from '@material-ui/core';
import { CanarySummary } from '@progressive-delivery/plugin-progressive-delivery-common';
import { canaryRowId, shortStateLabel } from '../../utils/format';
import { ToneStatus } from '../shared/StateStatus';
import { VisuallyHidden } from '../shared/VisuallyHidden';

/** Above this many canaries the tab opens with the compact overview. */
export const MATRIX_THRESHOLD = 4;

const useStyles = makeStyles(theme => ({
  root: { padding: theme.spacing(2) },
  scroller: { overflowX: 'auto', marginTop: theme.spacing(1) },
  table: {
    borderCollapse: 'collapse',
    '& th, & td': {
      padding: theme.spacing(0.75, 1.5),
      borderBottom: `1px solid ${theme.palette.divider}`,
      textAlign: 'left',
      verticalAlign: 'middle',
      whiteSpace: 'nowrap',
    },
    '& thead th': {
      ...theme.typography.subtitle2,
      color: theme.palette.text.secondary,
    },
    '& tbody th': { ...theme.typography.body2, fontWeight: 600 },
  },
  cell: { ...theme.typography.body2 },
  link: {
    color: 'inherit',
    '&:focus-visible': {
      outline: `2px solid ${theme.palette.primary.main}`,
      outlineOffset: 2,
    },
  },
  none: { color: theme.palette.text.secondary },
}));

function canaryName(summary: CanarySummary): string {
  return `${summary.ref.namespace}/${summary.ref.name}`;
}

/** Moves to a canary's row and puts the keyboard focus there, as a fragment link would. */
function goToRow(event: MouseEvent<HTMLAnchorElement>, id: string) {
  const row = document.getElementById(id);
  if (!row) {
    return;
  }
  event.preventDefault();
  row.scrollIntoView?.({ block: 'start' });
  row.focus({ preventScroll: true });
}

/** Counts of states in words, most common first: "3 promoted, 2 waits for promotion". */
export function stateCounts(canaries: CanarySummary[]): string {
  const counts = new Map<string, number>();
  canaries.forEach(summary => {
    const label = shortStateLabel(summary).replace(/, \d+.*$/, '');
    counts.set(label, (counts.get(label) ?? 0) + 1);
  });
  return Array.from(counts.entries())
    .sort((a, b) => b[1] - a[1])
    .map(([label, count]) => `${count} ${label.toLowerCase()}`)
    .join(', ');
}

/**
 * A compact overview of many canaries: canary by cluster, each cell the state in words and
 * colour, linking to the canary's row. The shorter dimension becomes the columns, so twenty
 * clusters make twenty rows, not twenty columns.
 */
export function ReleaseMatrix(props: {
  canaries: CanarySummary[];
  clusters: string[];
}) {
  const classes = useStyles();
  const { canaries } = props;
  const names = Array.from(new Set(canaries.map(canaryName))).sort();
  const clusters = props.clusters.filter(cluster =>
    canaries.some(c => c.ref.cluster === cluster),
  );
  const clustersAsColumns =
    clusters.length <= names.length || clusters.length <= MATRIX_THRESHOLD;
  const columns = clustersAsColumns ? clusters : names;
  const rows = clustersAsColumns ? names : clusters;
  const byCell = new Map(
    canaries.map(c => [`${c.ref.cluster} ${canaryName(c)}`, c]),
  );
  const find = (row: string, column: string) => {
    const [name, cluster] = clustersAsColumns ? [row, column] : [column, row];
    return byCell.get(`${cluster} ${name}`);
  };
  const captionId = 'pd-release-matrix-caption';
  return (
    <Paper
      variant="outlined"
      className={classes.root}
      component="section"
      aria-labelledby={captionId}
    >
      <Typography variant="h6" component="h3" id={captionId}>
        {canaries.length} releases in {clusters.length} clusters
      </Typography>
      <Typography variant="body2" color="textSecondary">
        {stateCounts(canaries)}. Select a state to go to its release.
      </Typography>
      <Box className={classes.scroller}>
        <table className={classes.table} aria-labelledby={captionId}>
          <thead>
            <tr>
              <th scope="col">{clustersAsColumns ? 'Canary' : 'Cluster'}</th>
              {columns.map(column => (
                <th scope="col" key={column}>
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(row => (
              <tr key={row}>
                <th scope="row">{row}</th>
                {columns.map(column => {
                  const summary = find(row, column);
                  if (!summary) {
                    return (
                      <td key={column} className={classes.none}>
                        <span aria-hidden>–</span>
                        <VisuallyHidden>none</VisuallyHidden>
                      </td>
                    );
                  }
                  const id = canaryRowId(summary.ref);
                  return (
                    <td key={column} className={classes.cell}>
                      <Link
                        href={`#${id}`}
                        className={classes.link}
                        onClick={(event: MouseEvent<HTMLAnchorElement>) =>
                          goToRow(event, id)
                        }
                        title={summary.state.headline}
                      >
                        <ToneStatus tone={summary.state.tone}>
                          {shortStateLabel(summary)}
                          {summary.fresh ? '' : ' (stale)'}
                        </ToneStatus>
                      </Link>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </Box>
    </Paper>
  );
}
