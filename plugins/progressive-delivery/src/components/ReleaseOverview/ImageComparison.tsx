import { Box, Typography, makeStyles } from '@material-ui/core';
import { WorkloadSide } from '@progressive-delivery/plugin-progressive-delivery-common';
import { splitImageDifference } from '../../utils/format';

const useStyles = makeStyles(theme => ({
  row: {
    fontFamily: theme.typography.fontFamily,
    display: 'grid',
    gridTemplateColumns: 'max-content 1fr',
    columnGap: theme.spacing(1),
    alignItems: 'baseline',
  },
  image: {
    fontFamily: 'monospace',
    fontSize: '0.8125rem',
    wordBreak: 'break-all',
  },
  changed: {
    fontWeight: 700,
    backgroundColor:
      theme.palette.type === 'dark' ? 'rgba(255, 213, 79, 0.25)' : 'rgba(255, 213, 79, 0.55)',
    color: 'inherit',
    borderRadius: 2,
    padding: '0 2px',
  },
}));

function sideLabel(images: { canary?: string; primary?: string }): string {
  if (images.canary && images.primary) {
    return 'Both';
  }
  return images.canary ? 'Canary' : 'Primary';
}

function Image(props: { common: string; rest: string }) {
  const classes = useStyles();
  return (
    <span className={classes.image}>
      {props.common}
      {props.rest && <mark className={classes.changed}>{props.rest}</mark>}
    </span>
  );
}

/** Primary and canary images per container, with what differs highlighted (bold and marked). */
export function ImageComparison(props: { canary?: WorkloadSide; primary?: WorkloadSide }) {
  const classes = useStyles();
  const containers = new Map<string, { canary?: string; primary?: string }>();
  props.primary?.images.forEach(({ container, image }) =>
    containers.set(container, { ...containers.get(container), primary: image }),
  );
  props.canary?.images.forEach(({ container, image }) =>
    containers.set(container, { ...containers.get(container), canary: image }),
  );
  if (containers.size === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        Images not known yet.
      </Typography>
    );
  }
  const multiple = containers.size > 1;
  return (
    <Box display="flex" flexDirection="column" gridGap={4}>
      {Array.from(containers.entries()).map(([container, images]) => {
        const prefix = multiple ? `${container} · ` : '';
        if (!images.canary || !images.primary || images.canary === images.primary) {
          const image = images.canary ?? images.primary ?? '';
          return (
            <Box key={container} className={classes.row}>
              <Typography variant="body2" color="textSecondary">
                {prefix}
                {sideLabel(images)}
              </Typography>
              <span className={classes.image}>
                {image}
                {images.canary && images.primary ? ' (no change)' : ''}
              </span>
            </Box>
          );
        }
        const diff = splitImageDifference(images.primary, images.canary);
        return (
          <Box key={container} className={classes.row} aria-label={`${prefix}image changes`} role="group">
            <Typography variant="body2" color="textSecondary">
              {prefix}Primary
            </Typography>
            <Image common={diff.common} rest={diff.from} />
            <Typography variant="body2" color="textSecondary">
              {prefix}Canary
            </Typography>
            <Image common={diff.common} rest={diff.to} />
          </Box>
        );
      })}
    </Box>
  );
}
