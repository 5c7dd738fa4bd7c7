-- Finding the `stagecraft` binary, starting `stagecraft lsp` (one client per root folder) and
-- attaching Dockerfile buffers to it.

local config = require('stagecraft.config')
local util = require('stagecraft.util')

local M = {}

M.name = 'stagecraft'
M.install_hint = 'cargo install --path crates/cli'

-- root folder -> client id, for Neovim 0.7 (vim.lsp.start does this bookkeeping on 0.8+).
local clients_by_root = {}
-- The missing-binary error is shown once per session when a Dockerfile opens; commands that need
-- the server say it again.
local told_missing = false
-- bufnr -> the id of the client attach() started or reused for it (it may still be starting, or
-- have exited since).
local buf_client = {}
-- bufnr -> {code, signal} of its client's exit, while no client replaced it.
local exited = {}

--- Whether `name` is an ignore file such as `Dockerfile.dockerignore`: the one BuildKit reads
--- beside the Dockerfile of that name, no Dockerfile, though Neovim's own `Dockerfile.*` rule makes
--- it one. The server is never attached to it.
---@param name string
---@return boolean
function M.is_dockerignore(name)
  return name:lower():match('%.dockerignore$') ~= nil
end

--- The command to run, with its program resolved to an executable path.
---@param cmd string[]
---@return string[]|nil cmd, string|nil reason why not found
function M.resolve_cmd(cmd)
  local program = cmd[1]
  local resolved
  if program:find('[/\\]') or program:sub(1, 1) == '~' then
    local path = vim.fn.expand(program)
    if vim.fn.executable(path) ~= 1 then
      return nil, ('%s is not an executable file'):format(path)
    end
    resolved = path
  else
    resolved = vim.fn.exepath(program)
    if resolved == '' then
      local cargo_bin = (vim.env.CARGO_HOME or vim.fn.expand('~/.cargo')) .. '/bin/' .. program
      if vim.fn.executable(cargo_bin) ~= 1 then
        return nil, ('`%s` is not on PATH nor in %s'):format(program, vim.fn.fnamemodify(cargo_bin, ':~:h'))
      end
      resolved = cargo_bin
    end
  end
  local out = vim.deepcopy(cmd)
  out[1] = resolved
  return out
end

--- What to do about a server that exited before it answered `initialize` (restarting it would
--- only repeat that).
---@param code integer
---@param signal integer|nil
function M.early_exit_message(code, signal)
  local how = (signal or 0) ~= 0 and ('signal %d'):format(signal) or ('code %d'):format(code)
  local cmd = table.concat(config.get().cmd, ' ')
  return ('the language server `%s` exited (%s) before it started, so restarting will not help: run it in a '
    .. 'terminal to see why (its error is in :LspLog too). A stagecraft built before the `lsp` command exits so: '
    .. 'update it (`%s` in a stagecraft checkout), or point `cmd` at another binary.'):format(cmd, how, M.install_hint)
end

--- The error shown when the binary is missing.
---@param reason string
function M.missing_message(reason)
  return ('the language server binary was not found (%s). Install it from a stagecraft checkout '
    .. 'with `%s`, or pass its path as `cmd` to require("stagecraft").setup{}.'):format(reason, M.install_hint)
end

--- The stagecraft client attached to `bufnr`, if any.
---@param bufnr integer
function M.client_for(bufnr)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = bufnr, name = M.name })[1]
  end
  for _, client in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if client.name == M.name then
      return client
    end
  end
  return nil
end

--- Whether the server attach() started for `bufnr` is still starting: Neovim lists a client for
--- a buffer only once it is initialized.
---@param bufnr integer
---@return boolean
function M.starting(bufnr)
  local id = buf_client[bufnr]
  local client = id and vim.lsp.get_client_by_id(id)
  return client ~= nil and not util.is_stopped(client)
end

--- The client of `bufnr` for a command the user ran: when the server attach() started for it is
--- still starting (the buffer was just opened, or the server just restarted), waits for it up to
--- `timeout_ms` (default 5000) instead of saying it is missing. No server starting (none was
--- started: `autostart = false`, or it exited): nil at once.
---@param bufnr integer
---@param timeout_ms integer|nil
function M.ready_client(bufnr, timeout_ms)
  local client = M.client_for(bufnr)
  if client or not M.starting(bufnr) then
    return client
  end
  vim.wait(timeout_ms or 5000, function()
    client = M.client_for(bufnr)
    return client ~= nil or not M.starting(bufnr)
  end, 20)
  return client
end

--- Every running stagecraft client.
function M.clients()
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = M.name })
  end
  local out = {}
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == M.name then
      table.insert(out, client)
    end
  end
  return out
end

--- The nearest folder above `fname` holding one of `markers`, else the file's own folder.
local function default_root(fname, markers)
  local dir = vim.fn.fnamemodify(fname, ':p:h')
  local cur = dir
  while true do
    for _, marker in ipairs(markers) do
      if util.uv.fs_stat(cur .. '/' .. marker) then
        return cur
      end
    end
    local parent = vim.fn.fnamemodify(cur, ':h')
    if parent == cur then
      return dir
    end
    cur = parent
  end
end

--- Clients this plugin stopped (a restart): their end is no news.
local stopped_here = {}
-- Clients that answered `initialize`: one that exits before it is no running server that
-- stopped but a program that does not serve (an old stagecraft without `lsp`, another program).
local initialized = {}

--- Drops the code lenses of client `id` from every buffer. Neovim 0.7 keeps those of a client
--- that stopped or exited: they stay drawn beside a new server's, and running one fails (its
--- client is gone: "Client is required to execute lens").
---@param id integer
local function clear_lenses(id)
  local codelens = vim.lsp.codelens
  if codelens.enable then
    -- (0.12+: Neovim drops them itself when the client detaches; clear() is deprecated there.)
    return
  end
  local ns = codelens.__namespaces and codelens.__namespaces[id]
    or vim.api.nvim_create_namespace('vim_lsp_codelens:' .. id)
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(b) then
      pcall(function()
        -- (A buffer that never had lenses has no cache, which save() would make, clear() choke on.)
        if #codelens.get(b) > 0 then
          if codelens.clear then
            codelens.clear(id, b)
          else
            codelens.save({}, b, id)
          end
        end
      end)
      pcall(vim.api.nvim_buf_clear_namespace, b, ns, 0, -1)
    end
  end
end

-- Code lens requests of the plugin's refresh in flight (Neovim before 0.11): bufnr -> {client id
-- -> true}; and bufnr -> true when a refresh was asked for meanwhile (it runs on the answer).
local lens_requests, lens_again = {}, {}

--- Forgets the lens requests of client `id`, which exited: Neovim drops their answers.
local function forget_lens_requests(id)
  for b, pending in pairs(lens_requests) do
    pending[id] = nil
    if next(pending) == nil then
      lens_requests[b], lens_again[b] = nil, nil
    end
  end
end

--- Asks the server of `bufnr` for its code lenses and draws them. Not without a server (it
--- exited, or is still starting: on_attach refreshes then): Neovim 0.7's refresh would mark the
--- buffer busy with no one to answer, and never refresh it again. Before 0.11 the answer goes
--- through a guard of our own: Neovim's handler would draw on a buffer wiped meanwhile (`:w | bw`
--- gave "Invalid buffer id").
---@param bufnr integer
local function refresh_codelens(bufnr)
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  local client = M.client_for(bufnr)
  if not client then
    return
  end
  if util.has('0.11') then
    vim.lsp.codelens.refresh({ bufnr = bufnr })
    return
  end
  if lens_requests[bufnr] then
    lens_again[bufnr] = true
    return
  end
  local pending = {}
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) } }
  local ok = util.request(client, 'textDocument/codeLens', params, function(err, result, ctx, cfg)
    pending[client.id] = nil
    if lens_requests[bufnr] == pending then
      lens_requests[bufnr] = nil
    end
    if not vim.api.nvim_buf_is_loaded(bufnr) then
      lens_again[bufnr] = nil
      return
    end
    vim.lsp.codelens.on_codelens(err, result, ctx, cfg)
    if lens_again[bufnr] then
      lens_again[bufnr] = nil
      refresh_codelens(bufnr)
    end
  end, bufnr)
  if ok then
    pending[client.id] = true
    lens_requests[bufnr] = pending
  end
end

local codelens_group

local function enable_codelens(bufnr)
  codelens_group = codelens_group or vim.api.nvim_create_augroup('stagecraft_codelens', { clear = true })
  vim.api.nvim_clear_autocmds({ group = codelens_group, buffer = bufnr })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'CursorHold', 'InsertLeave', 'TextChanged', 'BufWritePost' }, {
    group = codelens_group,
    buffer = bufnr,
    callback = function()
      refresh_codelens(bufnr)
    end,
    desc = 'stagecraft: refresh the code lenses',
  })
  vim.api.nvim_create_autocmd('BufWipeout', {
    group = codelens_group,
    buffer = bufnr,
    callback = function()
      lens_requests[bufnr], lens_again[bufnr] = nil, nil
    end,
    desc = 'stagecraft: forget the code lens requests of a wiped buffer',
  })
  -- (Scheduled: Neovim 0.10+ lists the client of a buffer only once on_attach has returned.)
  vim.schedule(function()
    refresh_codelens(bufnr)
  end)
end

--- The `codelens` key: runs the lens of the cursor line, or says why there is no server.
---@param bufnr integer
local function run_codelens(bufnr)
  if not M.ready_client(bufnr) then
    M.explain_missing_client(bufnr)
    return
  end
  vim.lsp.codelens.run()
end

local function set_keymaps(bufnr, maps)
  local function map(lhs, rhs, desc)
    if lhs then
      vim.keymap.set('n', lhs, rhs, { buffer = bufnr, silent = true, desc = 'stagecraft: ' .. desc })
    end
  end
  map(maps.targets, function()
    require('stagecraft.targets').pick({ bufnr = bufnr })
  end, 'pick a build target')
  map(maps.graph, function()
    require('stagecraft.graph').show({ bufnr = bufnr, format = 'svg' })
  end, 'show the stage graph')
  -- (Only with `codelens = true`: without it no lenses are asked for, and there is none to run.)
  if config.get().codelens then
    map(maps.codelens, function()
      run_codelens(bufnr)
    end, 'run the code lens of this line')
  end
end

--- Completion and tags through the server, as Neovim 0.8+ sets them on attach itself: 0.7 sets
--- neither (<C-x><C-o> gave E764, <C-]> E433). Never over a value the user set.
---@param bufnr integer
local function set_lsp_functions(bufnr)
  if util.has('0.8') then
    return
  end
  if vim.bo[bufnr].omnifunc == '' then
    vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
  end
  if vim.bo[bufnr].tagfunc == '' then
    vim.bo[bufnr].tagfunc = 'v:lua.vim.lsp.tagfunc'
  end
end

local function on_attach(client, bufnr)
  local opts = config.get()
  set_lsp_functions(bufnr)
  if opts.codelens then
    enable_codelens(bufnr)
  end
  if opts.keymaps then
    set_keymaps(bufnr, opts.keymaps)
  end
  if opts.on_attach then
    opts.on_attach(client, bufnr)
  end
end

--- The client configuration for `root`.
local function client_config(cmd, root)
  local opts = config.get()
  local settings = opts.settings
  return {
    name = M.name,
    cmd = cmd,
    root_dir = root,
    init_options = settings,
    -- Also answers workspace/configuration requests for the "stagecraft" section.
    settings = { stagecraft = settings },
    capabilities = opts.capabilities or vim.lsp.protocol.make_client_capabilities(),
    on_init = function(client)
      initialized[client.id] = true
      util.notify_server(client, 'workspace/didChangeConfiguration', { settings = client.config.settings })
    end,
    on_attach = on_attach,
    -- (Neovim itself reports a server that quits with an error.)
    on_exit = function(code, signal, client_id)
      if clients_by_root[root] == client_id then
        clients_by_root[root] = nil
      end
      local early = not initialized[client_id] and not stopped_here[client_id]
      initialized[client_id] = nil
      for bufnr, id in pairs(buf_client) do
        if id == client_id then
          exited[bufnr] = { code = code, signal = signal, early = early }
        end
      end
      -- Neovim says nothing of a server ended by SIGTERM (it reports other signals and exit
      -- codes): said here, unless this plugin stopped it or Neovim is exiting.
      local told = signal == 15 and not stopped_here[client_id] and vim.v.exiting == vim.NIL
      stopped_here[client_id] = nil
      -- (Scheduled: Neovim 0.7 calls this from the process's exit callback, where the API is
      -- off limits, and before it detaches the client.)
      vim.schedule(function()
        forget_lens_requests(client_id)
        clear_lenses(client_id)
        if told then
          util.warn('the language server was ended (signal 15); run :StagecraftRestart to start it again')
        end
        if early and vim.v.exiting == vim.NIL then
          util.error(M.early_exit_message(code, signal))
        end
      end)
    end,
  }
end

--- Starts the server for `bufnr` (or reuses the one of its root folder) and attaches it.
---@param bufnr integer
---@return integer|nil client_id
function M.attach(bufnr)
  if bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local fname = vim.api.nvim_buf_get_name(bufnr)
  if fname == '' or M.is_dockerignore(fname) then
    -- The server identifies documents by file URI: an unnamed buffer has none. An ignore file
    -- (Dockerfile.dockerignore) is no Dockerfile, whatever its filetype.
    return nil
  end
  local opts = config.get()
  local cmd, reason = M.resolve_cmd(opts.cmd)
  if not cmd then
    if not told_missing then
      told_missing = true
      util.error(M.missing_message(reason))
    end
    return nil
  end
  local root
  if opts.root_dir then
    -- (A function of the user's: what goes wrong in it is said in one line, not a stack trace.)
    local ok, found = pcall(opts.root_dir, fname, bufnr)
    if not ok then
      util.warn(('root_dir failed for %s: %s; the default root is used'):format(fname, (tostring(found):gsub('^[^\n]-:%d+: ', ''))))
    elseif found ~= nil and type(found) ~= 'string' then
      util.warn(('root_dir returned a %s for %s, not a folder (a string) or nil; the default root is used'):format(type(found), fname))
    else
      root = found
    end
  end
  root = root or default_root(fname, opts.root_markers)
  local conf = client_config(cmd, root)

  if vim.lsp.start then
    local id
    vim.api.nvim_buf_call(bufnr, function()
      id = vim.lsp.start(conf, { bufnr = bufnr })
    end)
    M.track(bufnr, id)
    return id
  end

  local id = clients_by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or util.is_stopped(client) then
    id = vim.lsp.start_client(conf)
    if not id then
      util.error('could not start ' .. table.concat(cmd, ' '))
      return nil
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  M.track(bufnr, id)
  return id
end

--- Remembers the client started for `bufnr`, so that commands wait for it while it starts
--- (`ready_client`) and say when it exited (`explain_missing_client`).
---@param bufnr integer
---@param id integer|nil
function M.track(bufnr, id)
  buf_client[bufnr] = id
  exited[bufnr] = nil
end

--- Whether the server of any buffer exited (and none was started for it since).
function M.any_exited()
  return next(exited) ~= nil
end

--- Whether the server of `bufnr` exited (it had one).
---@param bufnr integer
function M.exited(bufnr)
  return exited[bufnr] ~= nil
end

--- Says why `bufnr` has no server, for commands that need one.
---@param bufnr integer
function M.explain_missing_client(bufnr)
  local fname = vim.api.nvim_buf_get_name(bufnr)
  local name = vim.fn.fnamemodify(fname, ':t')
  name = name ~= '' and name or 'this buffer'
  if M.is_dockerignore(fname) then
    util.warn(('%s is an ignore file (the one BuildKit reads beside the Dockerfile of that name), not a '
      .. 'Dockerfile: the language server is not attached to it'):format(name))
    return
  end
  if fname == '' then
    util.warn('the language server knows files by name: save this buffer as a Dockerfile (:w Dockerfile) and it attaches')
    return
  end
  local gone = exited[bufnr]
  if gone and gone.early then
    util.error(M.early_exit_message(gone.code, gone.signal))
    return
  end
  if gone then
    local how = (gone.code == 0 and (gone.signal or 0) == 0) and 'stopped'
      or ((gone.signal or 0) ~= 0 and ('exited (signal %d)'):format(gone.signal) or ('exited (code %d)'):format(gone.code))
    util.warn(('the language server of %s %s; run :StagecraftRestart to start it again'):format(name, how))
    return
  end
  -- Not a Dockerfile (a scratch buffer such as a graph, another filetype): restarting can't help.
  local buftype, filetype = vim.bo[bufnr].buftype, vim.bo[bufnr].filetype
  if buftype ~= '' then
    util.warn(('the language server is not attached to %s: it is no file (buftype=%s); run this from a '
      .. 'Dockerfile'):format(name, buftype))
    return
  end
  local filetypes = config.get().filetypes
  if not vim.tbl_contains(filetypes, filetype) then
    util.warn(('the language server is not attached to %s (filetype "%s"): it serves filetype %s; run this '
      .. 'from a Dockerfile, or `:setfiletype %s` if this is one'):format(
        name, filetype, table.concat(filetypes, ', '), filetypes[1] or 'dockerfile'))
    return
  end
  local cmd, reason = M.resolve_cmd(config.get().cmd)
  if not cmd then
    util.error(M.missing_message(reason))
  elseif not config.get().autostart then
    util.warn(('the language server is not attached to %s (autostart = false: start it the way you set it '
      .. 'up, e.g. vim.lsp.enable or nvim-lspconfig, as a client named "stagecraft")'):format(name))
  else
    util.warn(('the language server is not attached to %s; run :StagecraftRestart to start it'):format(name))
  end
end

--- A setting a client was given. Its settings, when it has a `stagecraft` table, say it alone (a
--- setting cleared since start-up is absent there, though its initializationOptions still name
--- it); else its initializationOptions; else setup{}'s.
---@param client table|nil
---@param key string
---@return any
local function client_setting(client, key)
  local conf = client and client.config or {}
  if type(conf.settings) == 'table' and type(conf.settings.stagecraft) == 'table' then
    return conf.settings.stagecraft[key]
  elseif type(conf.init_options) == 'table' and conf.init_options[key] ~= nil then
    return conf.init_options[key]
  end
  return config.get().settings[key]
end

--- A table setting a client was given (see client_setting), else setup{}'s.
---@param client table|nil
---@param key string
---@return table
local function table_setting(client, key)
  local value = client_setting(client, key)
  if type(value) == 'table' then
    return value
  end
  return config.get().settings[key]
end

--- The build args a client was given (see table_setting).
---@param client table|nil
---@return table<string,string>
function M.build_args(client)
  return table_setting(client, 'buildArgs')
end

--- The named build contexts a client was given (see table_setting): a table of name -> value
--- (list items are names without a value).
---@param client table|nil
---@return table<string,string>
function M.named_contexts(client)
  return table_setting(client, 'namedContexts')
end

--- A string setting a client was given (see client_setting), or nil.
---@param client table|nil
---@param key string
---@return string|nil
local function string_setting(client, key)
  local value = client_setting(client, key)
  if type(value) == 'string' and value ~= '' then
    return value
  end
  return nil
end

--- The target platform the settings name (`platform`), or nil.
---@param client table|nil
---@return string|nil
function M.platform(client)
  return string_setting(client, 'platform')
end

--- The build context the settings name (`buildContext`), or nil.
---@param client table|nil
---@return string|nil
function M.build_context(client)
  return string_setting(client, 'buildContext')
end

--- Sends the current settings to every running server.
function M.push_settings()
  local settings = config.get().settings
  for _, client in ipairs(M.clients()) do
    client.config.settings = { stagecraft = settings }
    util.notify_server(client, 'workspace/didChangeConfiguration', { settings = client.config.settings })
  end
end

--- The stagecraft.pickTarget command of the code lenses: arguments [uri, stageIndex].
function M.pick_target_command(command, ctx)
  local args = command.arguments or {}
  local bufnr = ctx and ctx.bufnr or vim.api.nvim_get_current_buf()
  if type(args[1]) == 'string' then
    local ok, from_uri = pcall(vim.uri_to_bufnr, args[1])
    if ok and M.client_for(from_uri) then
      bufnr = from_uri
    end
  end
  require('stagecraft.targets').pick({ bufnr = bufnr, stage = tonumber(args[2]) })
end

--- The stagecraft.showReferences command of the code lenses: arguments [uri, position], where
--- position is the stage's name (an unnamed stage's FROM). Lists the stage's references there, its
--- definition aside (what the lens counts), through the references handler as `gr` would (the
--- quickfix list, unless the user set another handler; Neovim 0.11+ has none: the quickfix list).
function M.show_references_command(command, ctx)
  local args = command.arguments or {}
  local uri, position = args[1], args[2]
  if type(uri) ~= 'string' or type(position) ~= 'table' then
    util.error('stagecraft.showReferences needs a document URI and a position (the code lens passes them)')
    return
  end
  local ok, bufnr = pcall(vim.uri_to_bufnr, uri)
  if not ok then
    bufnr = ctx and ctx.bufnr or vim.api.nvim_get_current_buf()
  end
  local client = M.client_for(bufnr) or (ctx and ctx.client_id and vim.lsp.get_client_by_id(ctx.client_id))
  if not client then
    util.error('no stagecraft server for ' .. uri)
    return
  end
  local params = { textDocument = { uri = uri }, position = position, context = { includeDeclaration = false } }
  util.request(client, 'textDocument/references', params, function(err, result, rctx, config)
    local handler = vim.lsp.handlers['textDocument/references']
    if handler then
      return handler(err, result, rctx, config)
    end
    if err then
      util.error('references: ' .. (err.message or tostring(err)))
    elseif not result or vim.tbl_isempty(result) then
      util.notify('no references to this stage')
    else
      local items = vim.lsp.util.locations_to_items(result, client.offset_encoding or 'utf-16')
      vim.fn.setqflist({}, ' ', { title = 'References', items = items })
      vim.cmd('botright copen')
    end
  end, bufnr)
end

--- Every stagecraft client: those Neovim lists, and those the plugin started that are still
--- starting (Neovim lists a client only once it is initialized: a restart then left one running,
--- attached beside the new one on 0.7).
---@return table[]
local function all_clients()
  local seen, out = {}, {}
  local function add(client)
    if client and not seen[client.id] then
      seen[client.id] = true
      table.insert(out, client)
    end
  end
  for _, client in ipairs(M.clients()) do
    add(client)
  end
  for _, ids in ipairs({ buf_client, clients_by_root }) do
    for _, id in pairs(ids) do
      add(vim.lsp.get_client_by_id(id))
    end
  end
  return out
end
M.all_clients = all_clients

local function stop_client(client, force)
  stopped_here[client.id] = true
  if util.has('0.11') then
    client:stop(force)
  else
    client.stop(force)
  end
end

--- Stops every stagecraft client (starting ones too), waits for them to exit, and attaches the
--- open Dockerfiles again.
function M.restart()
  local clients = all_clients()
  for _, client in ipairs(clients) do
    if not util.is_stopped(client) then
      stop_client(client)
    end
  end
  local function all_gone()
    for _, client in ipairs(clients) do
      if vim.lsp.get_client_by_id(client.id) then
        return false
      end
    end
    return true
  end
  if not vim.wait(5000, all_gone, 20) then
    -- One that does not answer `shutdown`: terminated.
    for _, client in ipairs(clients) do
      if vim.lsp.get_client_by_id(client.id) then
        stop_client(client, true)
      end
    end
    vim.wait(2000, all_gone, 20)
  end
  -- Diagnostics a stopping server published late (after a settings change, say) land in its
  -- namespace after Neovim 0.7 cleared it, and no one would clear them again.
  for _, client in ipairs(clients) do
    pcall(function()
      vim.diagnostic.reset(vim.lsp.diagnostic.get_namespace(client.id))
    end)
    clear_lenses(client.id)
  end
  lens_requests, lens_again = {}, {}
  clients_by_root = {}
  buf_client, exited = {}, {}
  told_missing = false
  if not config.get().autostart then
    util.notify(('stopped %d server%s; autostart = false, so start it the way you set it up'):format(
      #clients, #clients == 1 and '' or 's'))
    return
  end
  local filetypes = config.get().filetypes
  local attached = 0
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(buf) and vim.tbl_contains(filetypes, vim.bo[buf].filetype) then
      if M.attach(buf) then
        attached = attached + 1
      end
    end
  end
  util.notify(('restarted the language server (%d buffer%s)'):format(attached, attached == 1 and '' or 's'))
end

return M
