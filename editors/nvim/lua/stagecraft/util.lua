-- Small helpers shared by the stagecraft modules, and the few places where Neovim's API changed
-- between 0.7 and today.

local M = {}

--- True when running on Neovim `version` ("0.8", "0.10") or later.
---@param version string
---@return boolean
function M.has(version)
  return vim.fn.has('nvim-' .. version) == 1
end

--- Runs `argv` and waits up to `timeout_ms` for it: its standard output, its exit code (nil
--- when it did not finish in time, and was stopped, or could not start) and its standard error.
---@param argv string[]
---@param timeout_ms integer
---@return string stdout, integer|nil code, string stderr
function M.run(argv, timeout_ms)
  local out, err, code = { '' }, { '' }, nil
  local ok, job = pcall(vim.fn.jobstart, argv, {
    stdout_buffered = true,
    stderr_buffered = true,
    -- (Buffered: the lines of the whole output, the last one '' after a final line break.)
    on_stdout = function(_, data)
      out = data
    end,
    on_stderr = function(_, data)
      err = data
    end,
    on_exit = function(_, c)
      code = c
    end,
  })
  if not ok or job <= 0 then
    return '', nil, ''
  end
  local status = vim.fn.jobwait({ job }, timeout_ms)[1]
  if status == -1 then
    vim.fn.jobstop(job)
    return table.concat(out, '\n'), nil, table.concat(err, '\n')
  end
  return table.concat(out, '\n'), code or status, table.concat(err, '\n')
end

--- vim.notify with the plugin's prefix.
---@param msg string
---@param level integer|nil a vim.log.levels value (INFO when nil)
function M.notify(msg, level)
  vim.notify('stagecraft: ' .. msg, level or vim.log.levels.INFO, { title = 'stagecraft' })
end

function M.error(msg)
  M.notify(msg, vim.log.levels.ERROR)
end

function M.warn(msg)
  M.notify(msg, vim.log.levels.WARN)
end

--- vim.validate with one spec per call: the table form before 0.11, the positional form after
--- (the table form is deprecated there).
---@param name string
---@param value any
---@param types string|string[]
---@param optional boolean|nil
function M.validate(name, value, types, optional)
  if M.has('0.11') then
    vim.validate(name, value, types, optional)
  else
    vim.validate({ [name] = { value, types, optional } })
  end
end

M.uv = vim.uv or vim.loop

--- A client method call that works with both the 0.7–0.10 function fields (`client.request(...)`)
--- and the 0.11+ methods (`client:request(...)`).
---@param client table
---@param method string
---@param params table|nil
---@param handler function
---@param bufnr integer
function M.request(client, method, params, handler, bufnr)
  if M.has('0.11') then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

---@return table|nil result, table|nil err
function M.request_sync(client, method, params, timeout_ms, bufnr)
  if M.has('0.11') then
    return client:request_sync(method, params, timeout_ms, bufnr)
  end
  return client.request_sync(method, params, timeout_ms, bufnr)
end

function M.notify_server(client, method, params)
  if M.has('0.11') then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

function M.is_stopped(client)
  if M.has('0.11') then
    return client:is_stopped()
  end
  return client.is_stopped()
end

--- Quotes a word for the shell when it needs it (with the user's 'shell' rules).
---@param word string
---@return string
function M.shell_quote(word)
  if word:match('^[%w_@%%+=:,./-]+$') then
    return word
  end
  return vim.fn.shellescape(word)
end

--- A string value from decoded JSON: nil for a missing value or JSON null.
function M.str(value)
  if type(value) == 'string' then
    return value
  end
  return nil
end

--- A scratch split holding `text`.
---@param text string
---@param opts {name: string, filetype: string}
---@return integer bufnr
function M.scratch(text, opts)
  vim.cmd('botright new')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype = 'nofile'
  vim.bo[buf].bufhidden = 'wipe'
  vim.bo[buf].swapfile = false
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(text, '\n', { plain = true, trimempty = true }))
  -- A second graph of the same file while the first is still shown: keep the default name.
  pcall(vim.api.nvim_buf_set_name, buf, opts.name)
  vim.bo[buf].filetype = opts.filetype
  return buf
end

return M
