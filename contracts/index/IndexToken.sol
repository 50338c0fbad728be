// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {BasketMath} from "./libraries/BasketMath.sol";

/**
 * @title IndexToken
 * @notice An SSI index token (MAG7.ssi, DEFI.ssi, MEME.ssi): ERC-20 with a tokenset; only the
 * issuer mints and burns. See {IIndexToken} for the basket model.
 * @dev The tokenset is written once per change as the code of a small data contract (one 32-byte
 * entry `asset << 96 | unitAmount` per asset behind a STOP byte) and read back with EXTCODECOPY:
 * one account access instead of one cold storage read per asset, the largest per-asset cost of a
 * mint or redeem after the transfers themselves. Tokensets change rarely (rebalances), so the
 * extra cost of writing falls where it does not matter. The aggregate basket is a view, so mints
 * and burns write no per-asset state.
 */
contract IndexToken is IIndexToken, ERC20Upgradeable, ProtocolUpgradeable {
    /// @inheritdoc IIndexToken
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");

    /// @dev Most assets a tokenset may hold; bounds every loop over it.
    uint256 public constant MAX_ASSETS = 32;

    /// @custom:storage-location erc7201:ssi.storage.IndexToken
    struct IndexTokenStorage {
        /// @dev Data contract whose code is `0x00` followed by the packed entries, ascending by asset.
        address tokensetData;
        /// @dev Number of entries in `tokensetData`.
        uint96 tokensetLength;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.IndexToken")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant STORAGE_LOCATION = 0xa59e731c0a69e66b34db2eac4eb2835b7606c96f85b6e0759c6ee2282966e200;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IIndexToken
    function initialize(
        string memory name_,
        string memory symbol_,
        address admin,
        address issuer,
        address upgrader,
        address[] memory assets,
        uint256[] memory unitAmounts
    ) external initializer {
        __ERC20_init(name_, symbol_);
        __ProtocolUpgradeable_init(admin);
        _grantRole(ISSUER_ROLE, issuer);
        _grantRole(UPGRADER_ROLE, upgrader);
        _setTokenset(assets, unitAmounts);
    }

    /// @inheritdoc IIndexToken
    function mint(address to, uint256 amount) external onlyRole(ISSUER_ROLE) whenNotPaused {
        _mint(to, amount);
    }

    /// @inheritdoc IIndexToken
    function burn(address from, uint256 amount) external onlyRole(ISSUER_ROLE) whenNotPaused {
        _burn(from, amount);
    }

    /// @inheritdoc IIndexToken
    function tokenset() external view returns (address[] memory assets, uint256[] memory unitAmounts) {
        return _tokenset();
    }

    /// @inheritdoc IIndexToken
    function basket() external view returns (address[] memory assets, uint256[] memory amounts) {
        (assets, amounts) = _tokenset();
        uint256 supply = totalSupply();
        for (uint256 i = 0; i < amounts.length; ++i) {
            amounts[i] = BasketMath.amountFor(supply, amounts[i], true);
        }
    }

    /**
     * @dev Replaces the tokenset after validating it; the one place it changes, so a later version
     * (rebalance, management fee) reuses the checks and the event.
     */
    function _setTokenset(address[] memory assets, uint256[] memory unitAmounts) internal {
        uint256 length = assets.length;
        if (length == 0) revert TokensetEmpty();
        if (length > MAX_ASSETS) revert TokensetTooLarge(length, MAX_ASSETS);
        if (unitAmounts.length != length) revert TokensetLengthMismatch(length, unitAmounts.length);
        // The data contract's code: a STOP byte (so calling it does nothing), then the entries.
        bytes memory code = new bytes(1 + 32 * length);
        address previous = address(0);
        for (uint256 i = 0; i < length; ++i) {
            address asset = assets[i];
            uint256 amount = unitAmounts[i];
            if (asset <= previous) revert TokensetNotSorted(i, asset);
            if (amount == 0 || amount > type(uint96).max) revert TokensetAmountInvalid(i, amount);
            uint256 entry = (uint256(uint160(asset)) << 96) | amount;
            assembly {
                mstore(add(code, add(33, mul(i, 32))), entry)
            }
            previous = asset;
        }
        IndexTokenStorage storage $ = _getStorage();
        $.tokensetData = _writeData(code);
        // Cannot truncate: length <= MAX_ASSETS.
        $.tokensetLength = uint96(length);
        emit BasketUpdated(assets, unitAmounts, totalSupply());
    }

    function _tokenset() private view returns (address[] memory assets, uint256[] memory unitAmounts) {
        IndexTokenStorage storage $ = _getStorage();
        address data = $.tokensetData;
        uint256 length = $.tokensetLength;
        assets = new address[](length);
        unitAmounts = new uint256[](length);
        // Copy the entries into `unitAmounts` in place, then split each into asset and amount.
        assembly {
            extcodecopy(data, add(unitAmounts, 32), 1, mul(length, 32))
        }
        for (uint256 i = 0; i < length; ++i) {
            uint256 entry = unitAmounts[i];
            assets[i] = address(uint160(entry >> 96));
            unitAmounts[i] = uint96(entry);
        }
    }

    /**
     * @dev Deploys a contract whose code is `code`. The 10-byte constructor
     * `PUSH2 len DUP1 PUSH1 10 PUSH0 CODECOPY PUSH0 RETURN` copies what follows it into memory and
     * returns it as the runtime code.
     */
    function _writeData(bytes memory code) private returns (address data) {
        bytes memory initCode = abi.encodePacked(hex"61", uint16(code.length), hex"80600a5f395ff3", code);
        assembly {
            data := create(0, add(initCode, 32), mload(initCode))
        }
        if (data == address(0)) revert TokensetWriteFailed();
    }

    function _getStorage() private pure returns (IndexTokenStorage storage $) {
        assembly {
            $.slot := STORAGE_LOCATION
        }
    }
}
