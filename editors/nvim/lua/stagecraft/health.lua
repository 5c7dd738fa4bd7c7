-- :checkhealth stagecraft

local M = {}

--- The health reporting functions of this Neovim (0.7: require('health'); 0.8/0.9:
--- vim.health.report_*; 0.10+: vim.health.start/ok/...).
local function reporter()
  local h = vim.health
  if h and h.start then
    return h
  end
  h = h or require('health')
  return {
    start = h.report_start,
    ok = h.report_ok,
    info = h.report_info,
    warn = h.report_warn,
    error = h.report_error,
  }
end

function M.check()
  local health = reporter()
  local config = require('stagecraft.config')
  local server = require('stagecraft.server')
  local util = require('stagecraft.util')

  health.start('stagecraft')

  local v = vim.version()
  local version = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if not util.has('0.7') then
    health.error('Neovim ' .. version .. ' is too old', { 'stagecraft.nvim needs Neovim 0.7 or later' })
  elseif util.has('0.8') then
    health.ok(('Neovim %s (starts the server with vim.lsp.start)'):format(version))
  else
    health.ok(('Neovim %s (starts the server with vim.lsp.start_client)'):format(version))
  end

  if config.setup_error then
    health.error('setup{} failed: ' .. config.setup_error, {
      'stagecraft is off (no server, no commands) until setup{} succeeds: see :help stagecraft-options',
    })
    return
  end

  local opts = config.get()
  local cmd, reason = server.resolve_cmd(opts.cmd)
  if not cmd then
    health.error('stagecraft binary: ' .. reason, {
      'Install it from a stagecraft checkout: ' .. server.install_hint,
      'or pass its path: require("stagecraft").setup{ cmd = { "/path/to/stagecraft", "lsp" } }',
    })
  else
    -- (With a time limit: a program that waits for input would hang the editor.)
    local out, code, err = util.run({ cmd[1], '--version' }, 3000)
    out = vim.trim(out ~= '' and out or err)
    if code == nil then
      health.error(('%s did not answer --version within 3 s: it is not the stagecraft binary'):format(cmd[1]), {
        'point `cmd` at the stagecraft binary: require("stagecraft").setup{ cmd = { "/path/to/stagecraft", "lsp" } }',
      })
    elseif code ~= 0 then
      health.warn(('%s does not answer --version: %s'):format(cmd[1], out))
    elseif out:match('^stagecraft %d+%.%d+') then
      health.ok(('%s (%s)'):format(out, cmd[1]))
    else
      -- Any program answers an exit code of 0 (`/bin/true` does): its version says what it is.
      health.error(('%s is not the stagecraft binary: `--version` printed %s, not "stagecraft X.Y.Z"'):format(
        cmd[1], out == '' and 'nothing' or ('"' .. out:gsub('\n.*', '') .. '"')), {
        'point `cmd` at the stagecraft binary: require("stagecraft").setup{ cmd = { "/path/to/stagecraft", "lsp" } }',
      })
    end
  end

  -- (Starting ones too: just after a Dockerfile opens or a restart, none has answered yet.)
  local clients, running = server.all_clients(), {}
  for _, client in ipairs(server.clients()) do
    running[client.id] = true
  end
  if #clients == 0 and not opts.autostart then
    health.info('no language server running: autostart = false, so this plugin starts none (vim.lsp.enable or '
      .. 'nvim-lspconfig does, as a client named "stagecraft")')
  elseif #clients == 0 and server.any_exited() then
    health.warn('no language server running: it exited', { 'run :StagecraftRestart in a Dockerfile to start it again' })
  elseif #clients == 0 then
    health.info('no language server running (it starts when a Dockerfile opens)')
  end
  for _, client in ipairs(clients) do
    local buffers = vim.tbl_keys(client.attached_buffers or {})
    health.ok(('server %d %s for %s (%d buffer%s)'):format(client.id, running[client.id] and 'running' or 'starting',
      client.config.root_dir or '?', #buffers, #buffers == 1 and '' or 's'))
  end

  if vim.fn.has('clipboard') == 1 then
    health.ok('clipboard: "Copy command" sets the + register')
  else
    health.info('no clipboard provider: "Copy command" sets the unnamed register only')
  end

  if opts.open_cmd == nil and not vim.ui.open then
    local found
    for _, program in ipairs({ 'xdg-open', 'open', 'wslview' }) do
      if vim.fn.executable(program) == 1 then
        found = program
        break
      end
    end
    if found then
      health.ok(':StagecraftGraph opens SVG files with ' .. found)
    else
      health.warn(':StagecraftGraph finds no program to open SVG files with', {
        'set open_cmd in setup{}, e.g. open_cmd = { "firefox" }',
      })
    end
  end
end

return M
