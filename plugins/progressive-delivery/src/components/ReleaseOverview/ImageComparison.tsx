import { Box, Typography, makeStyles } from '@material-ui/core';
import { fade } from '@material-ui/core/styles';
import { WorkloadSide } from '@progressive-delivery/plugin-progressive-delivery-common';
import { shortImage, splitImageDifference } from '../../utils/format';
import { ImageReference } from '../shared/ImageReference';

const useStyles = makeStyles(theme => ({
  row: {
    display: 'grid',
    gridTemplateColumns: 'max-content minmax(0, 1fr)',
    columnGap: theme.spacing(1),
    alignItems: 'center',
  },
  changed: {
    fontWeight: 700,
    // A tint of the theme's warning colour reads on light and dark backgrounds alike.
    backgroundColor: fade(
      theme.palette.warning.main,
      theme.palette.type === 'dark' ? 0.3 : 0.25,
    ),
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

function ChangedImage(props: { image: string; common: string; rest: string }) {
  const classes = useStyles();
  return (
    <ImageReference image={props.image}>
      {props.common}
      {props.rest && <mark className={classes.changed}>{props.rest}</mark>}
    </ImageReference>
  );
}

/**
 * Primary and canary images per container as `name:tag` (the full reference on hover and
 * in a copy button), with what differs highlighted (bold and marked).
 */
export function ImageComparison(props: {
  canary?: WorkloadSide;
  primary?: WorkloadSide;
}) {
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
    <Box display="flex" flexDirection="column" gridGap={2} minWidth={0}>
      {Array.from(containers.entries()).map(([container, images]) => {
        const prefix = multiple ? `${container} · ` : '';
        if (
          !images.canary ||
          !images.primary ||
          images.canary === images.primary
        ) {
          const image = images.canary ?? images.primary ?? '';
          return (
            <Box key={container} className={classes.row}>
              <Typography variant="body2" color="textSecondary">
                {prefix}
                {sideLabel(images)}
              </Typography>
              <Box display="flex" alignItems="center" minWidth={0}>
                <ImageReference image={image} />
                {images.canary && images.primary && (
                  <Typography
                    variant="body2"
                    color="textSecondary"
                    component="span"
                  >
                    (no change)
                  </Typography>
                )}
              </Box>
            </Box>
          );
        }
        // When only the registry or path differs, the short names are equal: compare in full.
        const sameShortName =
          shortImage(images.primary) === shortImage(images.canary);
        const diff = sameShortName
          ? splitImageDifference(images.primary, images.canary)
          : splitImageDifference(
              shortImage(images.primary),
              shortImage(images.canary),
            );
        return (
          <Box
            key={container}
            className={classes.row}
            aria-label={`${prefix}image changes`}
            role="group"
          >
            <Typography variant="body2" color="textSecondary">
              {prefix}Primary
            </Typography>
            <ChangedImage
              image={images.primary}
              common={diff.common}
              rest={diff.from}
            />
            <Typography variant="body2" color="textSecondary">
              {prefix}Canary
            </Typography>
            <ChangedImage
              image={images.canary}
              common={diff.common}
              rest={diff.to}
            />
          </Box>
        );
      })}
    </Box>
  );
}
