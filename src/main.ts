import { mount } from 'svelte';
import App from './ui/App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('Device Flow Lab: #app element missing from index.html');
export default mount(App, { target });
