import { html } from 'htm/preact';
import { render } from 'preact';
import { KioskApp } from './kiosk-app';
import '../styles.css';
import './kiosk.css';
import './greeting.css';
import './help.css';
import './alarm-banner.css';
import './pay.css';

const root = document.getElementById('app');
if (root) render(html`<${KioskApp} />`, root);
