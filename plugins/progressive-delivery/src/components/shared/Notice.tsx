import { ReactNode } from 'react';
import { Box, Paper, Typography, makeStyles } from '@material-ui/core';
import ErrorOutline from '@material-ui/icons/ErrorOutline';
import InfoOutlined from '@material-ui/icons/InfoOutlined';
import ReportProblemOutlined from '@material-ui/icons/ReportProblemOutlined';

const useStyles = makeStyles(theme => ({
  root: {
    display: 'flex',
    gap: theme.spacing(1.5),
    padding: theme.spacing(1.5, 2),
    borderLeft: `4px solid`,
  },
  error: { borderLeftColor: theme.palette.error.main },
  warning: { borderLeftColor: theme.palette.warning.main },
  info: { borderLeftColor: theme.palette.info.main },
  icon: { flexShrink: 0, marginTop: 2 },
  iconerror: { color: theme.palette.error.main },
  iconwarning: { color: theme.palette.warning.main },
  iconinfo: { color: theme.palette.info.main },
}));

const ICONS = {
  error: ErrorOutline,
  warning: ReportProblemOutlined,
  info: InfoOutlined,
};
const SEVERITY_WORDS = { error: 'Error', warning: 'Warning', info: 'Note' };

/** A message with an icon and a word for its severity, so colour is never the only signal. */
export function Notice(props: {
  severity: 'error' | 'warning' | 'info';
  title: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
}) {
  const classes = useStyles();
  const Icon = ICONS[props.severity];
  return (
    <Paper
      variant="outlined"
      className={`${classes.root} ${classes[props.severity]}`}
    >
      <Icon
        className={`${classes.icon} ${
          classes[`icon${props.severity}` as const]
        }`}
        titleAccess={SEVERITY_WORDS[props.severity]}
      />
      <Box flex={1} minWidth={0}>
        <Typography variant="subtitle2" component="p">
          {props.title}
        </Typography>
        {props.children && (
          <Typography variant="body2" component="div" color="textSecondary">
            {props.children}
          </Typography>
        )}
      </Box>
      {props.action}
    </Paper>
  );
}
