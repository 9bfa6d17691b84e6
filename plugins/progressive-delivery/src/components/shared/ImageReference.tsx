import { ReactNode } from 'react';
import { makeStyles } from '@material-ui/core';
import { shortImage } from '../../utils/format';
import { CopyButton } from './CopyButton';

const useStyles = makeStyles({
  root: {
    display: 'inline-flex',
    alignItems: 'center',
    maxWidth: '100%',
    minWidth: 0,
  },
  name: {
    fontFamily: 'monospace',
    fontSize: '0.8125rem',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    minWidth: 0,
  },
});

/**
 * An image as `name:tag`, the full reference on hover (and for screen readers), with a
 * button that copies the full reference. `children` replaces the visible short name, e.g.
 * to mark the part that changed.
 */
export function ImageReference(props: { image: string; children?: ReactNode }) {
  const classes = useStyles();
  return (
    <span className={classes.root}>
      <span className={classes.name} title={props.image}>
        {props.children ?? shortImage(props.image)}
      </span>
      <CopyButton text={props.image} label={`Copy ${props.image}`} />
    </span>
  );
}
