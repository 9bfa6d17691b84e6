import { CSSProperties, ReactNode } from 'react';

const style: CSSProperties = {
  position: 'absolute',
  width: 1,
  height: 1,
  padding: 0,
  margin: -1,
  overflow: 'hidden',
  clip: 'rect(0, 0, 0, 0)',
  whiteSpace: 'nowrap',
  border: 0,
};

/** Text for screen readers only. */
export function VisuallyHidden(props: {
  id?: string;
  role?: 'status';
  children: ReactNode;
}) {
  return (
    <span id={props.id} role={props.role} style={style}>
      {props.children}
    </span>
  );
}
