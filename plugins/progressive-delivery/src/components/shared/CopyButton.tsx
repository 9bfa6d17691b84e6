import { useEffect, useState } from 'react';
import { IconButton, Tooltip } from '@material-ui/core';
import FileCopyOutlined from '@material-ui/icons/FileCopyOutlined';
import useCopyToClipboard from 'react-use/esm/useCopyToClipboard';
import { VisuallyHidden } from './VisuallyHidden';

/**
 * A small copy button. Its tooltip (and a polite status for screen readers) says
 * "Copied" for a moment after a click.
 */
export function CopyButton(props: { text: string; label: string }) {
  const [state, copy] = useCopyToClipboard();
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) {
      return undefined;
    }
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  let news = '';
  if (copied) {
    news = state.error ? 'Could not copy' : 'Copied';
  }
  return (
    <>
      <Tooltip title={news || props.label}>
        <IconButton
          size="small"
          aria-label={props.label}
          onClick={() => {
            copy(props.text);
            setCopied(true);
          }}
        >
          <FileCopyOutlined style={{ fontSize: '1rem' }} />
        </IconButton>
      </Tooltip>
      <VisuallyHidden role="status">{news}</VisuallyHidden>
    </>
  );
}
