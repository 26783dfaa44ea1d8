import { html } from 'htm/preact';
import { render } from 'preact';
import { AdminApp } from './admin-app';
import '../styles.css';
import './admin.css';
import './alarms.css';
import './alarm-log.css';
import './elders.css';
import './badge.css';
import './points.css';
import './payments.css';
import './config-sync.css';

const root = document.getElementById('app');
if (root) render(html`<${AdminApp} />`, root);
