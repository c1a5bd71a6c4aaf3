import BindbeeSync
// Placeholder: the sandbox is being written.
